// Stub: replaced by the Program API stream.
#include "pto/wsp/api/Program.h"

#include <nlohmann/json.hpp>

namespace pto::wsp {

struct Program::Impl {
  artifact::Manifest manifest;
  std::filesystem::path dir;
  abi::Plan plan;
  ProgramStats stats;
};

namespace {
[[noreturn]] void notYet() { throw UserError(makeError({}, "Program is not implemented yet")); }
}  // namespace

nlohmann::json ProgramStats::toJson() const { return nlohmann::json::object(); }
std::string ProgramStats::toText() const { return {}; }

Program Program::compile(const ir::Module&, const CompileOptions&) { notYet(); }
Program Program::compileFile(const std::filesystem::path&, CompileOptions) { notYet(); }
Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;
const artifact::Manifest& Program::manifest() const { return impl_->manifest; }
const std::filesystem::path& Program::packageDir() const { return impl_->dir; }
const abi::Plan& Program::plan() const { return impl_->plan; }
void Program::bind(std::string_view, void*, size_t) { notYet(); }
void Program::setSymbol(std::string_view, int64_t) { notYet(); }
void Program::setSlot(std::string_view, uint64_t) { notYet(); }
void Program::setThreads(unsigned) { notYet(); }
void Program::execute() { notYet(); }
void Program::synchronize() { notYet(); }
ProgramStats Program::dryRun() { notYet(); }
ProgramStats Program::stats() const { return impl_->stats; }
uint64_t Program::slot(std::string_view) const { notYet(); }
void Program::trace(const std::filesystem::path&) const { notYet(); }

}  // namespace pto::wsp
