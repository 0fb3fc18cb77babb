/* Where a data set lives. The data root comes from --data DIR, else the
 * NNSIMD_DATA environment variable, else the data/ folder at the project's
 * top, found by walking up from the executable (not the working
 * directory). A root holds one folder per data set (mnist/, imdb/); --data
 * and NNSIMD_DATA may also name a data set's folder itself. */
#ifndef NNS_DATA_ROOT_H
#define NNS_DATA_ROOT_H

#include <stddef.h>

/* Finds the folder of data set `name` ("mnist", "imdb"). `flag` is the
 * --data value or NULL. `looks_like(dir)` says whether dir is such a
 * folder (it holds the data set's files). On success writes the folder to
 * out and returns 0; else writes a one-line message saying where it
 * looked to err and returns -1. */
int nns_data_dir(const char *flag, const char *name, int (*looks_like)(const char *dir),
                 char *out, size_t out_len, char *err, size_t err_len);

#endif
