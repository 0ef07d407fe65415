add_library(avara_warnings INTERFACE)
target_compile_options(avara_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                -Wold-style-cast -Wcast-align -Woverloaded-virtual)
if(AVARA_WERROR)
  target_compile_options(avara_warnings INTERFACE -Werror)
endif()
