#include "server/rpc.h"

grpc_status_code rpc_status_from_kind(enum cric_error_kind kind) {
        switch (kind) {
        case CRIC_E_INVALID: return GRPC_STATUS_INVALID_ARGUMENT;
        case CRIC_E_NOT_FOUND: return GRPC_STATUS_NOT_FOUND;
        case CRIC_E_EXISTS: return GRPC_STATUS_ALREADY_EXISTS;
        case CRIC_E_UNAVAILABLE: return GRPC_STATUS_UNAVAILABLE;
        case CRIC_E_TIMEOUT: return GRPC_STATUS_DEADLINE_EXCEEDED;
        case CRIC_E_UNIMPLEMENTED: return GRPC_STATUS_UNIMPLEMENTED;
        case CRIC_E_PERMISSION: return GRPC_STATUS_PERMISSION_DENIED;
        case CRIC_E_PRECONDITION: return GRPC_STATUS_FAILED_PRECONDITION;
        case CRIC_E_RESOURCE: return GRPC_STATUS_RESOURCE_EXHAUSTED;
        case CRIC_E_CANCELLED: return GRPC_STATUS_CANCELLED;
        case CRIC_E_SIGNATURE: return GRPC_STATUS_UNKNOWN;
        case CRIC_E_INTERNAL:
        case CRIC_E_KIND_MAX:
        case CRIC_E_KIND_INVALID: break;
        }
        return GRPC_STATUS_INTERNAL;
}
