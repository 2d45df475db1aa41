# What `ptowsp run` reports about a run beyond its totals: the profile table, package runs,
# task graphs. Included from tests/cli/CMakeLists.txt (uses ptowsp_cli_test, src, work).

# The profile table of a run (kernels, channels, critical path) against goldens in
# data/profiles (scripts/update-goldens.sh rewrites them): dry run, and executed on one
# and on two host threads, which must print the same table.
file(GLOB profile_goldens CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/data/profiles/*.profile.txt)
foreach(golden IN LISTS profile_goldens)
  get_filename_component(name ${golden} NAME)
  string(REPLACE ".profile.txt" "" name ${name})
  set(wsp ${src}/examples/${name}/${name}.wsp)
  ptowsp_cli_test(profile_golden_${name}_dry RC 0 ARGS run ${wsp} --dry-run --cache-dir ${work}/cache
    STDOUT_FILE_EQ ${golden} SECTION_FROM "kernels (" SECTION_TO "host_ms ")
  foreach(threads 1 2)
    ptowsp_cli_test(profile_golden_${name}_threads${threads} RC 0 ARGS run ${wsp} --threads ${threads}
      --cache-dir ${work}/cache STDOUT_FILE_EQ ${golden} SECTION_FROM "kernels (" SECTION_TO "host_ms ")
  endforeach()
endforeach()
ptowsp_cli_test(profile_json RC 0 ARGS run ${src}/examples/pipeline/pipeline.wsp --dry-run --json
  --cache-dir ${work}/cache
  JSON_KEYS profile.kernels.0.name profile.kernels.0.share_of_work profile.kernels.0.workers.0.worker
            profile.channels.0.full_wait_cycles profile.channels.1.high_water profile.critical_path.cycles
            profile.critical_path.kernels.0.tasks)

# compile --dump=csp: the process/channel graph as DOT, rendered by Graphviz; the SVG
# names every process, channel and kernel of the pipeline example.
ptowsp_cli_test(dump_csp RC 0 ARGS compile --dump=csp ${src}/examples/pipeline/pipeline.wsp
  STDOUT_RE "^// 5 processes, 2 channels\ndigraph csp [{]\n.*process loader.*channel l2c..capacity 2, latency 10.*->.*[}]\n$")
find_program(PTOWSP_DOT dot)
# Always registered: without Graphviz (scripts/deps.sh installs it) the test fails.
string(REPLACE ";" "@@" csp_names "loader;worker;storer;l2c;c2s;load_tile;compute;store_tile")
add_test(NAME cli_dump_csp_svg
         COMMAND ${CMAKE_COMMAND} -DCMD=$<TARGET_FILE:ptowsp>
                 "-DARGS=compile@@--dump=csp@@${src}/examples/pipeline/pipeline.wsp" -DDOT=${PTOWSP_DOT}
                 "-DMUST_CONTAIN=${csp_names}" -DOUT=${work}/pipeline_csp.svg
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/RenderDot.cmake)
set_tests_properties(cli_dump_csp_svg PROPERTIES LABELS cli)
