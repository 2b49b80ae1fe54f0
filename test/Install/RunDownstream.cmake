# Installs the Celeris build tree into a fresh prefix, then configures, builds
# and runs test/Install/downstream against that prefix alone.
# Arguments: CELERIS_BINARY_DIR, SOURCE_DIR, WORK_DIR, MLIR_DIR, GENERATOR.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${CELERIS_BINARY_DIR} --prefix ${prefix})
# The installed tools start (their RUNPATH finds libMLIR.so and libLLVM.so)
# and work.
foreach(tool celeris-opt celeris-run celeris-compile)
  run(${prefix}/bin/${tool} --version)
endforeach()
run(${prefix}/bin/celeris-opt ${SOURCE_DIR}/../../../examples/attention.mlir
    --celeris-simplify-masks)
if(NOT output MATCHES "celeris.attention")
  message(FATAL_ERROR "the installed celeris-opt printed no attention:\n${output}")
endif()
run(${CMAKE_COMMAND} -G ${GENERATOR} -S ${SOURCE_DIR} -B ${WORK_DIR}/build
    -DCeleris_DIR=${prefix}/lib/cmake/celeris -DMLIR_DIR=${MLIR_DIR}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/downstream-compiler)
if(NOT output MATCHES "mask: #celeris.mask<causal>")
  message(FATAL_ERROR "unexpected output of the downstream compiler:\n${output}")
endif()
message(STATUS "downstream compiler linked against the install tree: ${output}")
