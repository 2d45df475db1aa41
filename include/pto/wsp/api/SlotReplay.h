// Slot replay files: the slot_load values of one run, so that a dry run can take the
// data-dependent control flow of a real one (`ptowsp run --record-slots F`, then
// `ptowsp run --dry-run --replay-slots F`). The format is in docs/program.md, "Slot
// replay"; a file is tied to the package that recorded it.
#pragma once

#include "pto/wsp/api/Program.h"
#include "pto/wsp/runtime/SlotLoad.h"

#include <filesystem>
#include <vector>

namespace pto::wsp {

// Writes p.slotLoads() (record them with p.recordSlotLoads(true) before the run).
// Throws UserError on an I/O error.
void writeSlotReplay(const std::filesystem::path& out, const Program& p);

// Reads a file written by writeSlotReplay for p's package. A file of another package
// or plan, or a malformed one, is a UserError located in the file.
std::vector<rt::SlotLoad> readSlotReplay(const std::filesystem::path& in, const Program& p);

}  // namespace pto::wsp
