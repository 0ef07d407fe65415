#include "avara_onboard/app/cli.hpp"

#include <cstdio>

namespace avara::app {
int main(int, char**) {
    std::puts("avara-onboard " AVARA_VERSION);
    return 0;
}
}  // namespace avara::app
