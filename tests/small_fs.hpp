#pragma once
// A real, tiny file system for disk-full tests: a tmpfs of `bytes` mounted on a fresh folder (root
// only), unmounted at the end. When it cannot be mounted (not root, no mount namespace) mounted() is
// false and the test says so and skips: a full disk is tested for real or not at all.
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "test_files.hpp"

struct SmallFs {
    TempDir dir;
    bool mounted_ = false;
    std::string why_not;

    explicit SmallFs(std::size_t bytes) {
        const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
        if (::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, options.c_str()) == 0) {
            mounted_ = true;
        } else {
            why_not = std::string("cannot mount a tmpfs (") + std::strerror(errno) + "): needs root";
        }
    }
    ~SmallFs() {
        if (mounted_)
            ::umount2(dir.path.c_str(), MNT_DETACH);
    }
    SmallFs(const SmallFs&) = delete;
    SmallFs& operator=(const SmallFs&) = delete;

    bool mounted() const noexcept { return mounted_; }
    std::string file(const std::string& name) const { return dir.file(name); }
    // Gives the file system more room (a disk an operator cleaned up).
    bool grow(std::size_t bytes) const {
        const std::string options = "size=" + std::to_string(bytes);
        return ::mount("tmpfs", dir.path.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
    }
};

// Skips the current doctest case with a message when `fs` is not mounted.
#define SKIP_UNLESS_MOUNTED(fs)                 \
    do {                                        \
        if (!(fs).mounted()) {                  \
            MESSAGE("skipped: ", (fs).why_not); \
            return;                             \
        }                                       \
    } while (false)
