add_library(avara_sanitizers INTERFACE)
if(AVARA_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(avara_sanitizers INTERFACE ${_san})
  target_link_options(avara_sanitizers INTERFACE ${_san})
  # g++ 12 under ASan flags Asio's coroutine frame allocator (sized operator new, plain delete) as
  # mismatched: a known false positive (GCC PR 109224) that would otherwise break -Werror builds.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(avara_sanitizers INTERFACE -Wno-mismatched-new-delete)
  endif()
endif()
