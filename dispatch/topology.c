/* Cores and cache sizes from hwloc, and the L3 counted on. */
#include "nnsimd_internal.h"

#include <hwloc.h>

/* Size of the first cache object of `type`, 0 if the topology has none. */
static size_t cache_bytes(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    hwloc_obj_t obj = hwloc_get_next_obj_by_type(topo, type, NULL);
    return obj && obj->attr ? (size_t)obj->attr->cache.size : 0;
}

void nns_read_topology(nns_cpu_info *c)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0) return;
    if (hwloc_topology_load(topo) == 0) {
        c->cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
        c->threads = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
        c->l1d_bytes = cache_bytes(topo, HWLOC_OBJ_L1CACHE);
        c->l2_bytes = cache_bytes(topo, HWLOC_OBJ_L2CACHE);
        c->l3_bytes = cache_bytes(topo, HWLOC_OBJ_L3CACHE);
    }
    hwloc_topology_destroy(topo);
    c->l3_usable_bytes = c->l3_bytes ? c->l3_bytes : NNS_L3_TYPICAL_BYTES;
    /* A guest's L3 is its host's, shared with cores the guest does not see:
     * the 480 MiB one of a 2-core Xeon VM (intel-xeon-f06-ma7) moved 64 MiB
     * arrays at DRAM speed. Count on at most one 8-core Zen CCD's 32 MiB. */
    if (c->hypervisor && c->l3_usable_bytes > NNS_L3_TYPICAL_BYTES) c->l3_usable_bytes = NNS_L3_TYPICAL_BYTES;
}
