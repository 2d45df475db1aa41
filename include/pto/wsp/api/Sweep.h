// Schedule sweeps: the exact dry-run model of one compiled Program over the product of
// several schedule knobs' values (docs/cli.md, `ptowsp tune`).
//
//   Program p = Program::compileFile("pipeline.wsp");
//   std::vector<SweepAxis> axes{parseSweepAxis(p.plan(), "workers=2..8", loc),
//                               parseSweepAxis(p.plan(), "dispatch=round_robin,least_loaded", loc)};
//   SweepResult r = sweepSchedules(p, axes, /*threads=*/0);   // r.points[0] is the best
//
// The module compiles once; every point is a dry run of the loaded plan with only its
// schedule (and channel capacities) replaced, so nothing recompiles and the kernels'
// cycle functions are shared. Points run in parallel on host threads (oneTBB); each
// writes only its own entry and the order is fixed by the sort, so the result is the
// same for any thread count. Knob names are the .wsp schedule's spellings
// (support/ScheduleKnobs.h, docs/wsp-format.md).
#pragma once

#include "pto/wsp/api/Program.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp {

// What a sweep may vary: the schedule's run-time knobs. `dispatch` switches between
// policies that need no dispatch key (round_robin, least_loaded) plus the schedule's own
// keyed policy (its key is compiled into the plan).
enum class SweepKnob : uint8_t { TaskWindow, Dispatch, Workers, ChannelCapacity };

struct SweepAxis {
  SweepKnob knob = SweepKnob::Workers;
  std::string name;                   // "task_window", "dispatch", "workers", "channel.l2c.capacity"
  uint32_t channel = 0;               // ChannelCapacity: the plan channel index
  std::vector<uint64_t> values;       // numeric knobs, in the order given
  std::vector<std::string> policies;  // Dispatch
  size_t size() const { return knob == SweepKnob::Dispatch ? policies.size() : values.size(); }
  std::string valueText(size_t i) const;
};

// Most points one sweep runs, and most values one axis takes (a bigger sweep is a
// located error, not an allocation failure).
inline constexpr size_t kMaxSweepPoints = 1u << 20;
inline constexpr size_t kMaxSweepAxisValues = 1u << 16;

// Parses one `KNOB=VALUES` (VALUES: comma-separated integers or `lo..hi` ranges, mixable
// as in `1,2,8..10`; policy names for dispatch) against the plan. Errors are located at
// `loc`, name the knob and give its legal range or values.
SweepAxis parseSweepAxis(const abi::Plan& plan, std::string_view text, const SourceLoc& loc);

struct SweepPoint {
  std::vector<size_t> index;  // value index per axis
  abi::ScheduleConfig schedule;
  std::vector<uint32_t> channelCapacity;  // by plan channel
  ProgramStats stats;                     // when error is empty
  std::string error;                      // why this point did not run to the end (a deadlock)
  uint64_t stallCount = 0;                // over every resource
  uint64_t stallCycles = 0;
  double utilisation = 0;                 // mean over the workers
  bool pareto = false;                    // no other point is as fast with no more resources
};

struct SweepResult {
  std::vector<SweepAxis> axes;
  // Sorted by total_cycles; ties by workers, task_window, channel capacities (fewer
  // resources first), then by the axes' value order. Failed points come last.
  std::vector<SweepPoint> points;
};

// Runs every point of the product of `axes` (threads: host threads, 0 = hardware
// concurrency). Throws UserError for an empty or too large product, or a knob given twice.
SweepResult sweepSchedules(const Program& p, std::vector<SweepAxis> axes, unsigned threads = 0);

}  // namespace pto::wsp
