// The few entries LLVM-C lacks. Each states its preconditions in the header.
#include "CLLVMBridge.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Object/SymbolicFile.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Target/TargetMachine.h>

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
