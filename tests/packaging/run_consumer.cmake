# cmake -DMODE=install|build-tree|subdirectory -DSIMLOOP_SOURCE=... -DSIMLOOP_BUILD=...
#       -DWORK=... -P run_consumer.cmake
# Builds and runs tests/packaging/consumer against simloop one of three ways.
set(consumer ${SIMLOOP_SOURCE}/tests/packaging/consumer)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(generator -G Ninja)
if(MODE STREQUAL "install")
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${SIMLOOP_BUILD} --prefix ${WORK}/prefix
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "cmake --install failed")
  endif()
  set(args -DCMAKE_PREFIX_PATH=${WORK}/prefix)
elseif(MODE STREQUAL "build-tree")
  set(args -Dsimloop_DIR=${SIMLOOP_BUILD})
elseif(MODE STREQUAL "subdirectory")
  set(args -DSIMLOOP_SOURCE_DIR=${SIMLOOP_SOURCE})
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
find_program(CCACHE ccache)
if(CCACHE)
  list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE})
endif()
# No build type (no optimisation, no debug information): what is tested is
# the consumption, and the subdirectory mode compiles all of simloop, the
# longest test of the release suite (87 s with -O3 on a 2-core machine).
# It also checks that simloop, added as a subdirectory, leaves the parent's
# build type alone.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${consumer} -B ${WORK}/build ${generator} -DCMAKE_BUILD_TYPE= ${args}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer (${MODE}) failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/build -j2 --target consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer (${MODE}) failed")
endif()
execute_process(COMMAND ${WORK}/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer (${MODE}) failed")
endif()
