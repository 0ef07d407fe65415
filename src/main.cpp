#include "avara_onboard/app/cli.hpp"

int main(int argc, char** argv) {
    return avara::app::main(argc, argv);
}
