#include "pto/wsp/runtime/DeadlockReport.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string_view>

namespace pto::wsp::rt {

std::string Knob::text() const {
  if (check == Check::Fails)
    return fmt::format("raising {} (now {}) up to {} does not get past this deadlock", name, current, triedUpTo);
  std::string s = fmt::format("raise {} to at least {} (now {})", name, minimal, current);
  if (!thenWaits.empty()) s += fmt::format("; the run then deadlocks later: {}", thenWaits);
  return s;
}

std::string_view Knob::checkName() const {
  switch (check) {
    case Check::Unchecked: return "unchecked";
    case Check::Unblocks: return "unblocks";
    case Check::Fails: return "fails";
  }
  return "unchecked";
}

Diagnostic DeadlockReport::diagnostic() const {
  // Same numbers as toJson(): "in flight" is the JSON's in_flight (issued, not retired).
  std::string head = clock == Clock::Semantic && inFlight == 0
                         ? fmt::format("deadlock: no process can act and no task is in flight "
                                       "({} blocked, {} tasks issued)",
                                       blocked.size(), tasksIssued)
                     : clock == Clock::Semantic
                         ? fmt::format("deadlock: no process can act and the {} tasks in flight cannot unblock "
                                       "any ({} blocked, {} tasks issued)",
                                       inFlight, blocked.size(), tasksIssued)
                         : fmt::format("deadlock: host execution made no progress ({} tasks issued, "
                                       "{} unfinished)",
                                       tasksIssued, inFlight);
  Diagnostic d = makeError(loc, head);
  for (const auto& b : blocked) {
    d.note(fmt::format("process '{}' (#{}) at t={} waits on {}", b.name, b.process, b.localTime,
                       b.waitsOn),
           b.loc);
    if (b.channelLoc.valid()) d.note(fmt::format("channel '{}' is declared here", b.channel), b.channelLoc);
  }
  for (const auto& r : resources)
    if (r.occupancy || r.heldByScopes)
      d.note(fmt::format("{}: {} of {} in use (high-water {}), {} held by open scopes",
                         resourceName(r.resource), r.occupancy, r.capacity, r.highWater,
                         r.heldByScopes));
  for (const auto& s : scopes)
    d.note(fmt::format("process #{}: scope depth {}, {} tasks held by scopes (their outputs stay "
                       "live and block retirement)",
                       s.process, s.depth, s.heldTasks));
  if (!hostSnapshot.empty()) d.note("host: " + hostSnapshot);
  // One note per kernel a front end could locate, at its declaration, with every task
  // still inside it.
  std::set<std::string_view> noted;
  for (const RunningKernel& k : running) {
    if (!k.loc.valid() || !noted.insert(k.symbol).second) continue;
    std::vector<uint64_t> tasks;
    for (const RunningKernel& o : running)
      if (o.symbol == k.symbol) tasks.push_back(o.task);
    d.note(fmt::format("kernel '{}' has not returned ({} {}); it is declared here", k.name,
                       tasks.size() == 1 ? "task" : "tasks", fmt::join(tasks, ", ")),
           k.loc);
  }
  for (const auto& k : knobs) d.help(k.text());
  return d;
}

std::string DeadlockReport::text() const { return diagnostic().render(); }

nlohmann::json DeadlockReport::toJson() const {
  nlohmann::json j;
  j["clock"] = clock == Clock::Semantic ? "semantic" : "host";
  j["tasks_issued"] = tasksIssued;
  j["in_flight"] = inFlight;
  j["blocked"] = nlohmann::json::array();
  for (const auto& b : blocked) {
    nlohmann::json e = {{"process", b.process}, {"name", b.name}, {"local_time", b.localTime}, {"waits_on", b.waitsOn}};
    if (!b.channel.empty()) e["channel"] = b.channel;
    if (b.loc.valid()) e["location"] = b.loc.str();
    if (b.channelLoc.valid()) e["channel_location"] = b.channelLoc.str();
    j["blocked"].push_back(std::move(e));
  }
  if (loc.valid()) j["location"] = loc.str();
  j["resources"] = nlohmann::json::object();
  for (const auto& r : resources)
    j["resources"][resourceName(r.resource)] = {{"occupancy", r.occupancy},
                                                {"capacity", r.capacity},
                                                {"high_water", r.highWater},
                                                {"held_by_scopes", r.heldByScopes}};
  j["scopes"] = nlohmann::json::array();
  for (const auto& s : scopes)
    j["scopes"].push_back({{"process", s.process}, {"depth", s.depth}, {"held_tasks", s.heldTasks}});
  j["knobs"] = nlohmann::json::array();
  for (const auto& k : knobs)
    j["knobs"].push_back(
        {{"name", k.name}, {"current", k.current}, {"minimal", k.minimal}, {"checked", k.checkName()},
         {"tried_up_to", k.triedUpTo}, {"text", k.text()}});
  if (!hostSnapshot.empty()) j["host_snapshot"] = hostSnapshot;
  if (!running.empty()) {
    j["running"] = nlohmann::json::array();
    for (const RunningKernel& k : running) {
      nlohmann::json e = {{"task", k.task}, {"host_thread", k.hostThread}, {"symbol", k.symbol}};
      if (!k.name.empty()) e["kernel"] = k.name;
      if (k.loc.valid()) e["location"] = k.loc.str();
      j["running"].push_back(std::move(e));
    }
  }
  return j;
}

DeadlockError::DeadlockError(DeadlockReport r) : UserError(r.diagnostic()), report_(std::move(r)) {}

}  // namespace pto::wsp::rt
