# What `ptowsp run` reports about a run beyond its totals: the profile table, package runs,
# task graphs. Included from tests/cli/CMakeLists.txt (uses ptowsp_cli_test, src, work).

# The profile table of a run (workers, stalls, kernels, channels, critical path) against
# goldens in data/profiles (scripts/update-goldens.sh rewrites them): dry run, and
# executed on one and on two host threads, which must print the same table.
file(GLOB profile_goldens CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/data/profiles/*.profile.txt)
foreach(golden IN LISTS profile_goldens)
  get_filename_component(name ${golden} NAME)
  string(REPLACE ".profile.txt" "" name ${name})
  set(wsp ${src}/examples/${name}/${name}.wsp)
  ptowsp_cli_test(profile_golden_${name}_dry RC 0 ARGS run ${wsp} --dry-run --cache-dir ${work}/cache
    STDOUT_FILE_EQ ${golden} SECTION_FROM "  worker " SECTION_TO "host_ms ")
  foreach(threads 1 2)
    ptowsp_cli_test(profile_golden_${name}_threads${threads} RC 0 ARGS run ${wsp} --threads ${threads}
      --cache-dir ${work}/cache STDOUT_FILE_EQ ${golden} SECTION_FROM "  worker " SECTION_TO "host_ms ")
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
# Without Graphviz (scripts/deps.sh installs it) the test is skipped, never passed.
string(REPLACE ";" "@@" csp_names "loader;worker;storer;l2c;c2s;load_tile;compute;store_tile")
add_test(NAME cli_dump_csp_svg
         COMMAND ${CMAKE_COMMAND} -DCMD=$<TARGET_FILE:ptowsp>
                 "-DARGS=compile@@--dump=csp@@${src}/examples/pipeline/pipeline.wsp" -DDOT=${PTOWSP_DOT}
                 "-DMUST_CONTAIN=${csp_names}" -DOUT=${work}/pipeline_csp.svg
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/RenderDot.cmake)
set_tests_properties(cli_dump_csp_svg PROPERTIES LABELS cli SKIP_REGULAR_EXPRESSION "SKIP: graphviz")

# run --graph: the executed task graph as DOT, rendered by Graphviz; the SVG names every
# kernel and process of the example. A graph cut at --graph-limit says so in the file
# and on stderr.
foreach(case "pipeline;load_tile@@compute@@store_tile@@loader@@worker@@storer@@csp"
             "llama_block;rms_qkv@@attn_causal@@wo_res@@mlp_up@@mlp_down@@data")
  list(GET case 0 name)
  list(GET case 1 names)
  add_test(NAME cli_run_graph_svg_${name}
           COMMAND ${CMAKE_COMMAND} -DCMD=$<TARGET_FILE:ptowsp>
                   "-DARGS=run@@${src}/examples/${name}/${name}.wsp@@--dry-run@@--cache-dir@@${work}/cache@@--graph@@${work}/${name}_graph.dot"
                   -DDOT=${PTOWSP_DOT} -DDOT_FILE=${work}/${name}_graph.dot "-DMUST_CONTAIN=${names}"
                   -DOUT=${work}/${name}_graph.svg -P ${CMAKE_CURRENT_SOURCE_DIR}/RenderDot.cmake)
  set_tests_properties(cli_run_graph_svg_${name} PROPERTIES LABELS cli SKIP_REGULAR_EXPRESSION "SKIP: graphviz")
endforeach()
ptowsp_cli_test(run_graph_limit RC 0 ARGS run ${src}/examples/pipeline/pipeline.wsp --dry-run --cache-dir ${work}/cache
  --graph ${work}/pipeline_graph_limit.dot --graph-limit 4
  STDERR_RE "note: the task graph '.*pipeline_graph_limit.dot' holds the first 4 of 24 tasks \\(task limit; raise --graph-limit")
ptowsp_cli_test(run_graph_bad_dir RC 1 ARGS run ${src}/examples/pipeline/pipeline.wsp --dry-run --cache-dir ${work}/cache
  --graph ${work}/no_such_dir/g.dot
  STDERR_RE "cannot write the task graph: directory '.*no_such_dir' does not exist" "help: create the directory first")
ptowsp_cli_test(run_graph_limit_zero RC 1 ARGS run ${src}/examples/pipeline/pipeline.wsp --dry-run --cache-dir ${work}/cache
  --graph ${work}/zero.dot --graph-limit 0 STDERR_RE "error: the task graph's task limit is 0" "help: pass a limit of at least 1")

# Progress on stderr: a dry run of 300k tasks shows it on a pty and clears it (shown
# from the start: PTO_WSP_PROGRESS_AFTER_MS=0, so the test does not depend on the
# machine's speed); --quiet and a non-terminal stderr print nothing.
add_test(NAME cli_run_progress_pty
         COMMAND ${CMAKE_COMMAND} -E env PTO_WSP_PROGRESS_AFTER_MS=0
                 /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/progress_pty.py $<TARGET_FILE:ptowsp> run
                 ${src}/bench/runtime/data/chain.wsp --dry-run --cache-dir ${work}/cache --set N=300000)
set_tests_properties(cli_run_progress_pty PROPERTIES LABELS cli TIMEOUT 120)
