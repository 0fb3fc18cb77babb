/* nns_cpu(): the CPU description, detected once. */
#include "nnsimd_internal.h"

#include <pthread.h>

static nns_cpu_info info;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void detect(void)
{
    nns_detect_features(&info);
    nns_describe_cpu(&info);
    nns_read_topology(&info);
    nns_make_cpu_id(&info);
}

const nns_cpu_info *nns_cpu(void)
{
    pthread_once(&once, detect);
    return &info;
}
