/* A flat temporary directory per test (Check fixtures), shared by the reader suites. */
#ifndef MLP_TEST_TMPDIR_H
#define MLP_TEST_TMPDIR_H

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates /tmp/<prefix>XXXXXX into dir (64 bytes). */
static inline void tu_tmpdir_create(char dir[64], const char *prefix)
{
    snprintf(dir, 64, "/tmp/%sXXXXXX", prefix);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes the files in dir, then dir (no subdirectories are made by these suites). */
static inline void tu_tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Writes text to dir/name; returns the path (a static buffer). */
static inline const char *tu_tmpdir_write(const char *dir, const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

#endif
