/* Shared by the libFuzzer targets of tests/fuzz/: a private scratch folder
 * (on /dev/shm when it exists, so the readers' file I/O stays in memory),
 * removed at exit; file writing and gzip compression of fuzz inputs. */
#ifndef NNS_FUZZ_COMMON_H
#define NNS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The scratch folder of this process, made on first use (aborts if it
 * cannot be made: a fuzz run without it would test nothing). */
const char *fz_dir(void);
/* fz_dir()/rel into out (len bytes); returns out. */
char *fz_path(char *out, size_t len, const char *rel);
/* mkdir -p fz_dir()/rel. */
void fz_mkdirs(const char *rel);
/* Writes data to path (replacing it); aborts on an I/O error. */
void fz_write(const char *path, const void *data, size_t len);
/* The gzip file (one member, level 1) holding data; malloc'd, length in
 * *out_len. Aborts if out of memory. */
unsigned char *fz_gzip(const void *data, size_t len, size_t *out_len);
/* Removes the file or the folder tree at path (no error if absent). */
void fz_remove(const char *path);

#endif
