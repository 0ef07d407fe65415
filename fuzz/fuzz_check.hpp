#pragma once
// The fuzz targets' invariant check: a broken invariant prints what and where, then aborts, which
// libFuzzer reports as a crash with its reproducer.
#include <cstdio>
#include <cstdlib>

[[noreturn]] inline void fuzz_broken(const char* file, int line, const char* what) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    std::abort();
}

#define FUZZ_CHECK(cond)                            \
    do {                                            \
        if (!(cond)) {                              \
            fuzz_broken(__FILE__, __LINE__, #cond); \
        }                                           \
    } while (false)
#define FUZZ_BROKEN(what) fuzz_broken(__FILE__, __LINE__, (what))
