/* The CPU's description: vendor, brand, family/model/stepping, and the
 * stable cpu id that names its folder under results/.
 * x86: from libcpuid (description only, never the ISA flags).
 * aarch64: from the implementer and part in /proc/cpuinfo where present. */
#include "nnsimd_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__)
#include <libcpuid/libcpuid.h>

/* Copies src without leading/trailing blanks, truncated to cap - 1 chars. */
static void copy_trimmed(char *dst, size_t cap, const char *src)
{
    while (isspace((unsigned char)*src)) src++;
    size_t n = strlen(src);
    while (n && isspace((unsigned char)src[n - 1])) n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void nns_describe_cpu(nns_cpu_info *c)
{
    struct cpu_raw_data_t raw;
    struct cpu_id_t id;
    c->family = c->model = c->stepping = -1;
    snprintf(c->vendor, sizeof c->vendor, "unknown");
    if (!cpuid_present() || cpuid_get_raw_data(&raw) != 0 || cpu_identify(&raw, &id) != 0)
        return;
    if (strcmp(id.vendor_str, "AuthenticAMD") == 0) snprintf(c->vendor, sizeof c->vendor, "AMD");
    else if (strcmp(id.vendor_str, "GenuineIntel") == 0) snprintf(c->vendor, sizeof c->vendor, "Intel");
    else copy_trimmed(c->vendor, sizeof c->vendor, id.vendor_str);
    copy_trimmed(c->brand, sizeof c->brand, id.brand_str);
    c->family = id.ext_family;
    c->model = id.ext_model;
    c->stepping = id.stepping;
}
#elif defined(__aarch64__)
#include <stdlib.h>

/* Reads "key : value" from /proc/cpuinfo as an integer (base auto); -1 if absent. */
static long cpuinfo_field(const char *key)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) v = strtol(colon + 1, NULL, 0);
            break;
        }
    }
    if (f) fclose(f);
    return v;
}

void nns_describe_cpu(nns_cpu_info *c)
{
    long impl = cpuinfo_field("CPU implementer"), part = cpuinfo_field("CPU part");
    c->family = (int)impl;
    c->model = (int)part;
    c->stepping = (int)cpuinfo_field("CPU variant");
    switch (impl) {
    case 0x41: snprintf(c->vendor, sizeof c->vendor, "ARM"); break;
    case 0x61: snprintf(c->vendor, sizeof c->vendor, "Apple"); break;
    case 0x51: snprintf(c->vendor, sizeof c->vendor, "Qualcomm"); break;
    case -1: snprintf(c->vendor, sizeof c->vendor, "unknown"); break;
    default: snprintf(c->vendor, sizeof c->vendor, "impl-%02lx", impl); break;
    }
    snprintf(c->brand, sizeof c->brand, "aarch64");
}
#endif

/* Lower-case alphanumerics only, runs of anything else become one '-'. */
static void append_slug(char *dst, size_t cap, const char *word)
{
    size_t n = strlen(dst);
    for (const char *p = word; *p && n + 2 < cap; p++) {
        if (isalnum((unsigned char)*p)) {
            dst[n++] = (char)tolower((unsigned char)*p);
        } else if (n && dst[n - 1] != '-') {
            dst[n++] = '-';
        }
    }
    while (n && dst[n - 1] == '-') n--;
    dst[n] = '\0';
}

/* The first brand word that is not the vendor's name or a trademark:
 * "AMD EPYC 7B13" -> "EPYC", "Intel(R) Xeon(R) Gold" -> "Xeon". */
static void brand_family(char *dst, size_t cap, const char *brand, const char *vendor)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", brand);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
        char *tm = strchr(w, '(');
        if (tm) *tm = '\0';
        if (*w && strcasecmp(w, vendor) != 0) {
            snprintf(dst, cap, "%s", w);
            return;
        }
    }
    dst[0] = '\0';
}

void nns_make_cpu_id(nns_cpu_info *c)
{
    char fam[64], num[32];
    c->cpu_id[0] = '\0';
    append_slug(c->cpu_id, sizeof c->cpu_id, c->vendor);
    brand_family(fam, sizeof fam, c->brand, c->vendor);
    if (fam[0]) {
        strcat(c->cpu_id, "-");
        append_slug(c->cpu_id, sizeof c->cpu_id, fam);
    }
    if (c->family >= 0 && c->model >= 0) {
        snprintf(num, sizeof num, "-f%02x-m%02x", (unsigned)c->family, (unsigned)c->model);
        append_slug(c->cpu_id, sizeof c->cpu_id, num);
    }
}
