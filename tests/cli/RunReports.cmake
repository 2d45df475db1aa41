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
