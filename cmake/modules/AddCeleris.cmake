# add_celeris_library(name sources... [DEPENDS ...] [MLIR_LIBS ...])
#
# A Celeris library: built like an MLIR library, linked against libMLIR.so
# (never the static MLIR component libraries), installed and exported in the
# CelerisTargets set that CelerisConfig.cmake imports.
function(add_celeris_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;MLIR_LIBS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DISABLE_INSTALL
    EXCLUDE_FROM_LIBMLIR
    DEPENDS ${ARG_DEPENDS})
  if(ARG_MLIR_LIBS)
    mlir_target_link_libraries(${name} PUBLIC ${ARG_MLIR_LIBS})
  endif()
  if(ARG_LINK_LIBS)
    target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${CELERIS_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${CELERIS_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  install(TARGETS ${name} EXPORT CelerisTargets
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
  set_property(GLOBAL APPEND PROPERTY CELERIS_LIBS ${name})
endfunction()
