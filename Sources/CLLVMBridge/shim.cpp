// The few entries LLVM-C lacks. Each states its preconditions in the header.
#include "CLLVMBridge.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Object/SymbolicFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/ProfileData/InstrProf.h>
#include <llvm/ProfileData/InstrProfReader.h>
#include <llvm/ProfileData/InstrProfWriter.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Instrumentation/PGOInstrumentation.h>
#include <llvm/Support/VirtualFileSystem.h>

#include <algorithm>
#include <map>
#include <vector>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace llvm;

int ukl_module_flag_int(LLVMModuleRef M, const char *key, uint64_t *value) {
  auto *flag = mdconst::dyn_extract_or_null<ConstantInt>(unwrap(M)->getModuleFlag(key));
  if (!flag)
    return 0;
  *value = flag->getZExtValue();
  return 1;
}

void ukl_target_machine_set_sections(LLVMTargetMachineRef TM, int on) {
  // LLVMTargetMachineRef is a TargetMachine* (see TargetMachineC.cpp).
  auto *machine = reinterpret_cast<TargetMachine *>(TM);
  machine->Options.FunctionSections = on != 0;
  machine->Options.DataSections = on != 0;
}

void ukl_target_machine_set_emulated_tls(LLVMTargetMachineRef TM, int on) {
  reinterpret_cast<TargetMachine *>(TM)->Options.EmulatedTLS = on != 0;
}

int ukl_object_symbols(const char *data, size_t size, const char *name,
                       ukl_symbol_fn symbol, void *ctx, char **error) {
  LLVMContext context;
  MemoryBufferRef buffer(StringRef(data, size), name);
  auto file = object::SymbolicFile::createSymbolicFile(buffer, file_magic::unknown, &context);
  if (!file) {
    *error = strdup(toString(file.takeError()).c_str());
    return 1;
  }
  for (const object::BasicSymbolRef &sym : (*file)->symbols()) {
    Expected<uint32_t> flags = sym.getFlags();
    if (!flags) {
      *error = strdup(toString(flags.takeError()).c_str());
      return 1;
    }
    if (!(*flags & object::BasicSymbolRef::SF_Global) ||
        (*flags & object::BasicSymbolRef::SF_FormatSpecific))
      continue;
    std::string text;
    raw_string_ostream out(text);
    if (Error err = sym.printName(out)) {
      *error = strdup(toString(std::move(err)).c_str());
      return 1;
    }
    int kind = 0;
    if (*flags & object::BasicSymbolRef::SF_Undefined)
      kind |= UKL_SYM_UNDEFINED;
    if (*flags & object::BasicSymbolRef::SF_Weak)
      kind |= UKL_SYM_WEAK;
    symbol(ctx, out.str().c_str(), kind);
  }
  return 0;
}

char *ukl_bitcode_producer(const char *data, size_t size) {
  Expected<std::string> producer = getBitcodeProducerString(MemoryBufferRef(StringRef(data, size), ""));
  if (!producer) {
    consumeError(producer.takeError());
    return nullptr;
  }
  return strdup(producer->c_str());
}

ukl_linker_ref ukl_linker_create(LLVMModuleRef dest) {
  return reinterpret_cast<ukl_linker_ref>(new Linker(*unwrap(dest)));
}

int ukl_linker_link(ukl_linker_ref linker, LLVMModuleRef src) {
  return reinterpret_cast<Linker *>(linker)->linkInModule(std::unique_ptr<Module>(unwrap(src))) ? 1 : 0;
}

void ukl_linker_dispose(ukl_linker_ref linker) { delete reinterpret_cast<Linker *>(linker); }

void ukl_module_set_flag_int(LLVMModuleRef M, const char *key, uint64_t value) {
  Module *module = unwrap(M);
  Module::ModFlagBehavior behavior = Module::Error;
  SmallVector<Module::ModuleFlagEntry, 8> flags;
  module->getModuleFlagsMetadata(flags);
  for (const Module::ModuleFlagEntry &flag : flags)
    if (flag.Key->getString() == key)
      behavior = flag.Behavior;
  module->setModuleFlag(behavior, key, ConstantInt::get(Type::getInt32Ty(module->getContext()), value));
}

int ukl_object_code(const char *data, size_t size, const char *name, ukl_code_fn fn, void *ctx,
                    char **error) {
  auto file = object::ObjectFile::createObjectFile(MemoryBufferRef(StringRef(data, size), name));
  if (!file) {
    *error = strdup(toString(file.takeError()).c_str());
    return 1;
  }
  struct Symbol {
    uint64_t offset, size;
    std::string name;
  };
  // Symbols by executable section, sorted by offset.
  std::map<uint64_t, std::vector<Symbol>> bySection;
  for (const object::SymbolRef &sym : (*file)->symbols()) {
    Expected<object::section_iterator> section = sym.getSection();
    Expected<StringRef> symbolName = sym.getName();
    Expected<uint64_t> value = sym.getValue();
    Expected<object::SymbolRef::Type> type = sym.getType();
    if (!section || !symbolName || !value || !type) {
      consumeError(section.takeError());
      consumeError(symbolName.takeError());
      consumeError(value.takeError());
      consumeError(type.takeError());
      continue;
    }
    if (*section == (*file)->section_end() || !(*section)->isText() || symbolName->empty() ||
        *type == object::SymbolRef::ST_File || *type == object::SymbolRef::ST_Debug)
      continue;
    uint64_t symbolSize = object::ELFSymbolRef(sym).getSize();
    bySection[(*section)->getIndex()].push_back({*value, symbolSize, symbolName->str()});
  }
  for (const object::SectionRef &section : (*file)->sections()) {
    auto found = bySection.find(section.getIndex());
    if (found == bySection.end())
      continue;
    Expected<StringRef> contents = section.getContents();
    if (!contents) {
      *error = strdup(toString(contents.takeError()).c_str());
      return 1;
    }
    std::vector<Symbol> &symbols = found->second;
    std::stable_sort(symbols.begin(), symbols.end(),
                     [](const Symbol &a, const Symbol &b) { return a.offset < b.offset; });
    for (size_t i = 0; i < symbols.size(); i++) {
      uint64_t start = std::min<uint64_t>(symbols[i].offset, contents->size());
      uint64_t end = contents->size();
      if (symbols[i].size)
        end = std::min<uint64_t>(start + symbols[i].size, end);
      else
        for (size_t j = i + 1; j < symbols.size(); j++)
          if (symbols[j].offset > start) {
            end = std::min<uint64_t>(symbols[j].offset, end);
            break;
          }
      fn(ctx, symbols[i].name.c_str(), reinterpret_cast<const uint8_t *>(contents->data()) + start,
         end - start);
    }
  }
  return 0;
}

void ukl_sha256(const uint8_t *data, size_t size, uint8_t out[32]) {
    llvm::SHA256 hash;
    hash.update(llvm::ArrayRef<uint8_t>(data, size));
    std::array<uint8_t, 32> digest = hash.final();
    std::memcpy(out, digest.data(), digest.size());
}

struct ukl_profile_writer {
  InstrProfWriter writer{/*Sparse=*/true};
  std::string error;
};

ukl_profile_writer_ref ukl_profile_writer_create(void) {
  auto *writer = new ukl_profile_writer;
  consumeError(writer->writer.mergeProfileKind(InstrProfKind::IRInstrumentation));
  return writer;
}

void ukl_profile_writer_add(ukl_profile_writer_ref writer, const char *name, uint64_t hash,
                            const uint64_t *counts, size_t n, uint32_t icall_sites,
                            const uint32_t *targets_per_site, const char *const *target_names,
                            const uint64_t *target_counts, uint32_t memop_sites) {
  NamedInstrProfRecord record(name, hash, std::vector<uint64_t>(counts, counts + n));
  record.reserveSites(IPVK_IndirectCallTarget, icall_sites);
  size_t next = 0;
  for (uint32_t site = 0; site < icall_sites; ++site) {
    std::vector<InstrProfValueData> values;
    for (uint32_t i = 0; i < targets_per_site[site]; ++i, ++next)
      values.push_back({IndexedInstrProf::ComputeHash(target_names[next]), target_counts[next]});
    // Most frequent first, as the runtime's merge leaves them.
    std::stable_sort(values.begin(), values.end(),
                     [](const auto &a, const auto &b) { return a.Count > b.Count; });
    record.addValueData(IPVK_IndirectCallTarget, site, values, nullptr);
  }
  record.reserveSites(IPVK_MemOPSize, memop_sites);
  for (uint32_t site = 0; site < memop_sites; ++site)
    record.addValueData(IPVK_MemOPSize, site, {}, nullptr);
  writer->writer.addRecord(std::move(record), 1, [writer](Error error) {
    if (writer->error.empty())
      writer->error = toString(std::move(error));
    else
      consumeError(std::move(error));
  });
}

int ukl_profile_writer_write(ukl_profile_writer_ref writer, const char *path, char **error) {
  if (!writer->error.empty()) {
    *error = strdup(writer->error.c_str());
    return 1;
  }
  std::error_code code;
  raw_fd_ostream out(path, code, sys::fs::OF_None);
  if (code) {
    *error = strdup(code.message().c_str());
    return 1;
  }
  if (Error failure = writer->writer.write(out)) {
    *error = strdup(toString(std::move(failure)).c_str());
    return 1;
  }
  out.close();
  if (out.has_error()) {
    *error = strdup(out.error().message().c_str());
    out.clear_error();
    return 1;
  }
  return 0;
}

void ukl_profile_writer_dispose(ukl_profile_writer_ref writer) { delete writer; }

int ukl_profile_read(const char *path, ukl_profile_fn fn, void *ctx, int *ir_level, char **error) {
  auto fs = vfs::getRealFileSystem();
  auto reader = InstrProfReader::create(path, *fs);
  if (!reader) {
    *error = strdup(toString(reader.takeError()).c_str());
    return 1;
  }
  *ir_level = (*reader)->isIRLevelProfile();
  for (const NamedInstrProfRecord &record : **reader) {
    uint64_t targets = 0;
    for (uint32_t site = 0; site < record.getNumValueSites(IPVK_IndirectCallTarget); ++site)
      for (const auto &value : record.getValueArrayForSite(IPVK_IndirectCallTarget, site))
        targets += value.Count;
    fn(ctx, record.Name.str().c_str(), record.Hash, record.Counts.data(), record.Counts.size(),
       targets);
  }
  if ((*reader)->hasError()) {
    *error = strdup(toString((*reader)->getError()).c_str());
    return 1;
  }
  return 0;
}

namespace {
// Passes every diagnostic on but PGO's per-function ones, which it counts.
struct PGODiagnostics {
  DiagnosticHandler::DiagnosticHandlerTy next;
  void *nextContext;
  uint64_t dropped = 0;

  static void handle(const DiagnosticInfo *info, void *context) {
    auto *self = static_cast<PGODiagnostics *>(context);
    if (info->getKind() == DK_PGOProfile && info->getSeverity() != DS_Error) {
      ++self->dropped;
      return;
    }
    if (self->next)
      self->next(info, self->nextContext);
  }
};
} // namespace

void ukl_pgo_use(LLVMModuleRef M, LLVMTargetMachineRef TM, const char *path, uint64_t *matched,
                 uint64_t *mismatched, uint64_t *missing) {
  Module &module = *unwrap(M);
  LLVMContext &context = module.getContext();
  *matched = *mismatched = *missing = 0;

  // The profile's records, by name, to count afterwards which ones took.
  std::vector<std::string> records;
  auto fs = vfs::getRealFileSystem();
  if (auto reader = InstrProfReader::create(path, *fs)) {
    for (const NamedInstrProfRecord &record : **reader)
      records.push_back(record.Name.str());
    consumeError((*reader)->getError());
  } else {
    consumeError(reader.takeError()); // the pass reports it
  }
  std::map<std::string, Function *> functions;
  for (Function &function : module)
    if (!function.isDeclaration())
      functions[getIRPGOFuncName(function)] = &function;

  PGODiagnostics diagnostics{context.getDiagnosticHandlerCallBack(),
                             context.getDiagnosticContext()};
  context.setDiagnosticHandlerCallBack(PGODiagnostics::handle, &diagnostics);
  {
    PassBuilder builder(reinterpret_cast<TargetMachine *>(TM));
    LoopAnalysisManager loops;
    FunctionAnalysisManager functionAnalyses;
    CGSCCAnalysisManager sccs;
    ModuleAnalysisManager modules;
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functionAnalyses);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functionAnalyses, sccs, modules);
    ModulePassManager passes;
    passes.addPass(PGOInstrumentationUse(path));
    passes.run(module, modules);
  }
  context.setDiagnosticHandlerCallBack(diagnostics.next, diagnostics.nextContext);

  // A record that took gave its function an entry count.
  for (const std::string &name : records) {
    auto found = functions.find(name);
    if (found == functions.end())
      ++*missing;
    else if (found->second->getEntryCount())
      ++*matched;
    else
      ++*mismatched;
  }
}

namespace {
// Takes the remarks of one pass and passes everything else to the handler
// it replaces while it is installed.
struct RemarkCollector : DiagnosticHandler {
  std::unique_ptr<DiagnosticHandler> next;
  std::string pass;
  ukl_remark_fn fn;
  void *ctx;

  bool isAnyRemarkEnabled() const override { return true; }
  bool isPassedOptRemarkEnabled(StringRef name) const override { return name == pass; }
  bool isMissedOptRemarkEnabled(StringRef) const override { return false; }
  bool isAnalysisRemarkEnabled(StringRef) const override { return false; }

  bool handleDiagnostics(const DiagnosticInfo &info) override {
    if (auto *remark = dyn_cast<DiagnosticInfoIROptimization>(&info)) {
      if (remark->getPassName() == pass && info.getKind() == DK_OptimizationRemark) {
        std::string arguments;
        for (const auto &argument : remark->getArgs())
          if (!argument.Key.empty() && argument.Key != "String")
            arguments += argument.Key + "=" + argument.Val + "\n";
        fn(ctx, remark->getFunction().getName().str().c_str(), arguments.c_str());
      }
      return true;
    }
    if (next->DiagHandlerCallback) {
      next->DiagHandlerCallback(&info, next->DiagnosticContext);
      return true;
    }
    return next->handleDiagnostics(info);
  }
};
} // namespace

LLVMErrorRef ukl_run_passes_with_remarks(LLVMModuleRef M, const char *passes, LLVMTargetMachineRef TM,
                                         LLVMPassBuilderOptionsRef options, const char *remark_pass,
                                         ukl_remark_fn fn, void *ctx) {
  LLVMContext &context = unwrap(M)->getContext();
  auto collector = std::make_unique<RemarkCollector>();
  collector->next = context.getDiagnosticHandler();
  collector->pass = remark_pass;
  collector->fn = fn;
  collector->ctx = ctx;
  RemarkCollector *installed = collector.get();
  context.setDiagnosticHandler(std::move(collector));
  LLVMErrorRef error = LLVMRunPasses(M, passes, TM, options);
  // Hand the context its own handler back.
  std::unique_ptr<DiagnosticHandler> previous = std::move(installed->next);
  context.setDiagnosticHandler(std::move(previous));
  return error;
}
