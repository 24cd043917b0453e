# Install rules and the exported CMake package: find_package(simloop CONFIG)
# works from the install prefix and from the build tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SIMLOOP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/simloop)
set(SIMLOOP_EXPORT_TARGETS simloop)
set(SIMLOOP_EXPORT_GTEST OFF)
set(SIMLOOP_EXPORT_RAPIDCHECK OFF)
if(TARGET simloop_gtest)
  list(APPEND SIMLOOP_EXPORT_TARGETS simloop_gtest)
  set(SIMLOOP_EXPORT_GTEST ON)
endif()
if(TARGET simloop_rapidcheck)
  list(APPEND SIMLOOP_EXPORT_TARGETS simloop_rapidcheck)
  get_property(SIMLOOP_EXPORT_RAPIDCHECK GLOBAL PROPERTY SIMLOOP_RAPIDCHECK_CONFIG)
endif()

install(TARGETS ${SIMLOOP_EXPORT_TARGETS} EXPORT simloop-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/framework/include/simloop
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/simloop-config.cmake.in
  ${PROJECT_BINARY_DIR}/simloop-config.cmake
  INSTALL_DESTINATION ${SIMLOOP_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/simloop-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)

install(EXPORT simloop-targets NAMESPACE simloop:: DESTINATION ${SIMLOOP_CMAKE_DIR})
install(FILES ${PROJECT_BINARY_DIR}/simloop-config.cmake
              ${PROJECT_BINARY_DIR}/simloop-config-version.cmake
        DESTINATION ${SIMLOOP_CMAKE_DIR})

# Build-tree package: find_package(simloop CONFIG PATHS <build dir>).
export(EXPORT simloop-targets NAMESPACE simloop::
       FILE ${PROJECT_BINARY_DIR}/simloop-targets.cmake)
