/* protobuf-c messages to and from grpc core's byte buffers: the one codec the server
 * (cricd) and the client (cricctl) share. */
#ifndef CRIC_PBWIRE_PBWIRE_H
#define CRIC_PBWIRE_PBWIRE_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

/* msg packed into a new byte buffer (the caller destroys it). */
grpc_byte_buffer *pbwire_encode(const ProtobufCMessage *msg);

/* The message of type desc in bb (free it with protobuf_c_message_free_unpacked), or
 * NULL when bb cannot be read or is not such a message. */
ProtobufCMessage *pbwire_decode(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb);

#endif
