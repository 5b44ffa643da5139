/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A report over recordings as one JSON document (rec_json.c). */
#ifndef DEVMEM_RENDER_REC_JSON_H
#define DEVMEM_RENDER_REC_JSON_H

#include <stdio.h>
#include "store/record.h"

/* JSON document (jansson) of a report; values in nsecs/pages; 0 or -errno */
int devmem_rec_report_json(FILE *out, const struct devmem_rec_report *rep, unsigned int flags);

#endif /* DEVMEM_RENDER_REC_JSON_H */
