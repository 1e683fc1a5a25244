#ifndef UKL_CLLVMBRIDGE_H
#define UKL_CLLVMBRIDGE_H

/* The LLVM 19 C API, as one module for Swift. */
#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/IRReader.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The C++ shim: only what LLVM-C has no entry for.
 */

/* Integer value of module flag KEY. Returns 1 and sets *value when the flag
 * exists and is an integer constant, 0 otherwise. M must be a valid module. */
int ukl_module_flag_int(LLVMModuleRef M, const char *key, uint64_t *value);

/* Turn on function and data sections, as ld.lld does for every LTO link, so
 * that the kernel's linker script sees the same input sections. TM must come
 * from LLVMCreateTargetMachine* and not be in use by another thread. */
void ukl_target_machine_set_sections(LLVMTargetMachineRef TM, int on);

/* Emulated TLS (thread-locals accessed through __emutls_get_address) on or
 * off. Same preconditions as ukl_target_machine_set_sections. */
void ukl_target_machine_set_emulated_tls(LLVMTargetMachineRef TM, int on);

/* One module linker for a whole link. LLVMLinkModules2 builds a new linker per
 * call, and each one scans every type of the (growing) destination module:
 * linking N modules that way is quadratic. DEST must outlive the linker.
 * ukl_linker_link takes ownership of SRC and returns 1 on error (reported
 * through DEST's context's diagnostic handler). */
typedef struct ukl_linker *ukl_linker_ref;
ukl_linker_ref ukl_linker_create(LLVMModuleRef dest);
int ukl_linker_link(ukl_linker_ref linker, LLVMModuleRef src);
void ukl_linker_dispose(ukl_linker_ref linker);

/* The producer recorded in bitcode DATA[0..size) ("LLVM19.1.7"): returns a
 * malloc'ed string the caller frees, or NULL when none can be read. */
char *ukl_bitcode_producer(const char *data, size_t size);

/* Calls SYMBOL(ctx, name, flags) for every global symbol of an object file or
 * bitcode file held in DATA[0..size) (bitcode symbols include those defined by
 * module-level inline asm; the X86 asm parser must be initialized).
 * flags: UKL_SYM_UNDEFINED, UKL_SYM_WEAK. Returns 0 on success; on failure
 * returns 1 and sets *error to a malloc'ed message the caller frees. */
enum { UKL_SYM_UNDEFINED = 1, UKL_SYM_WEAK = 2 };
typedef void (*ukl_symbol_fn)(void *ctx, const char *name, int flags);
int ukl_object_symbols(const char *data, size_t size, const char *name,
                       ukl_symbol_fn symbol, void *ctx, char **error);

/* Sets integer module flag KEY to VALUE with the flag's existing behaviour
 * (Error when new), replacing the old value. M must be a valid module. */
void ukl_module_set_flag_int(LLVMModuleRef M, const char *key, uint64_t value);

/* Calls FN(ctx, name, bytes, size) for every symbol that lies in an
 * executable section of the ELF object in DATA[0..size): its bytes run from
 * the symbol to its end (its size, or when it has none, the next symbol of
 * the section or the section's end). Returns 0 on success; on failure
 * returns 1 and sets *error to a malloc'ed message the caller frees. */
typedef void (*ukl_code_fn)(void *ctx, const char *name, const uint8_t *bytes, size_t size);
int ukl_object_code(const char *data, size_t size, const char *name, ukl_code_fn fn,
                    void *ctx, char **error);

/* SHA-256 of DATA[0..size) into OUT[0..32) (LLVM's own implementation, so
 * cache keys need no hashing subprocess). */
void ukl_sha256(const uint8_t *data, size_t size, uint8_t out[32]);

/*
 * Profiles (PGO). The tool lowers the instrumentation itself (there is no
 * compiler-rt in the kernel) and writes what it reads back from the guest
 * as an indexed profile with LLVM's own writer.
 */
typedef struct ukl_profile_writer *ukl_profile_writer_ref;
/* An IR-level profile writer that leaves out functions whose counters are
 * all zero (llvm-profdata merge --sparse). */
ukl_profile_writer_ref ukl_profile_writer_create(void);
/* Adds function NAME (its PGO name) with HASH and COUNTS[0..n). Its
 * indirect-call sites: ICALL_SITES, site i with TARGETS_PER_SITE[i] targets
 * named in TARGET_NAMES (PGO names, all sites in order) with TARGET_COUNTS;
 * its memory-operation size sites: MEMOP_SITES, recorded without values. */
void ukl_profile_writer_add(ukl_profile_writer_ref writer, const char *name, uint64_t hash,
                            const uint64_t *counts, size_t n, uint32_t icall_sites,
                            const uint32_t *targets_per_site, const char *const *target_names,
                            const uint64_t *target_counts, uint32_t memop_sites);
/* Writes the indexed profile to PATH. Returns 0, or 1 and a malloc'ed *error. */
int ukl_profile_writer_write(ukl_profile_writer_ref writer, const char *path, char **error);
void ukl_profile_writer_dispose(ukl_profile_writer_ref writer);

/* Calls FN for every function of the profile at PATH (indexed, raw or text):
 * its name, hash, counters and indirect-call targets (summed counts).
 * Returns 0, or 1 and a malloc'ed *error. *ir_level says whether it is an
 * IR-level profile, the only kind PGO use reads here. */
typedef void (*ukl_profile_fn)(void *ctx, const char *name, uint64_t hash, const uint64_t *counts,
                               size_t n, uint64_t icall_targets);
int ukl_profile_read(const char *path, ukl_profile_fn fn, void *ctx, int *ir_level, char **error);

/* Runs PGO use (LLVM's PGOInstrumentationUse) with the indexed profile at
 * PATH over M. Its per-function warnings (stale or missing records) are
 * counted, not passed on: *matched, *mismatched (the function is there but
 * its control flow changed) and *missing (no such function) count the
 * profile's records. Errors reach the context's diagnostic handler. */
void ukl_pgo_use(LLVMModuleRef M, LLVMTargetMachineRef TM, const char *path, uint64_t *matched,
                 uint64_t *mismatched, uint64_t *missing);

/* LLVMRunPasses, reporting each optimization remark of pass REMARK_PASS
 * (e.g. "pgo-icall-prom") as FN(ctx, function, key/value pairs as
 * "Key=Value" lines). Other diagnostics go to the context's handler. */
typedef void (*ukl_remark_fn)(void *ctx, const char *function, const char *arguments);
LLVMErrorRef ukl_run_passes_with_remarks(LLVMModuleRef M, const char *passes, LLVMTargetMachineRef TM,
                                         LLVMPassBuilderOptionsRef options, const char *remark_pass,
                                         ukl_remark_fn fn, void *ctx);
#ifdef __cplusplus
}
#endif

#endif
