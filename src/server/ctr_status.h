/* Container rows -> CRI messages. Private to server/. */
#ifndef CRIC_SERVER_CTR_STATUS_H
#define CRIC_SERVER_CTR_STATUS_H

#include "cri.pb-c.h"
#include "store/store.h"

/* The CRI config stored with the container; NULL when it does not decode (logged). */
Runtime__V1__ContainerConfig *ctr_config_of(const struct container_row *c);
Runtime__V1__ContainerState ctr_state_of(const struct container_row *c);
Runtime__V1__ContainerMetadata *ctr_metadata_of(const struct container_row *c);

#endif
