internal import CLLVMBridge

/// An x86-64 target machine set up as ld.lld's LTO backend sets it for the
/// kernel: static relocation, the kernel code model, sections per function and
/// datum, CPU and features left to each function's attributes; and emulated
/// TLS for the application's thread-locals.
final class TargetMachine {
    let ref: LLVMTargetMachineRef

    enum Flavor { case kernel, user }

    /// `.kernel`: as ld.lld's LTO backend for the kernel. `.user`: an ordinary
    /// static program (small code model), for the `linux` level.
    init(triple: String, flavor: Flavor = .kernel) throws {
        _ = Targets.x86
        var target: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        if LLVMGetTargetFromTriple(triple, &target, &message) != 0 {
            throw UKLError.tool("no target for \(triple): \(takeMessage(message))")
        }
        let options = LLVMCreateTargetMachineOptions()
        defer { LLVMDisposeTargetMachineOptions(options) }
        LLVMTargetMachineOptionsSetCodeGenOptLevel(options, LLVMCodeGenLevelDefault)
        LLVMTargetMachineOptionsSetRelocMode(options, LLVMRelocStatic)
        LLVMTargetMachineOptionsSetCodeModel(options, flavor == .kernel ? LLVMCodeModelKernel : LLVMCodeModelSmall)
        guard let machine = LLVMCreateTargetMachineWithOptions(target, triple, options) else {
            throw UKLError.tool("cannot create a target machine for \(triple)")
        }
        ukl_target_machine_set_sections(machine, flavor == .kernel ? 1 : 0)
        // The kernel image has no TLS segment for the application's own
        // thread-locals: in the kernel they become calls of
        // __emutls_get_address (apps/runtime/emutls.c). The kernel itself has none.
        ukl_target_machine_set_emulated_tls(machine, flavor == .kernel ? 1 : 0)
        ref = machine
    }

    deinit { LLVMDisposeTargetMachine(ref) }

    func emit(_ module: borrowing Module, to path: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        if LLVMTargetMachineEmitToFile(ref, module.handle, path, LLVMObjectFile, &message) != 0 {
            throw UKLError.tool("code generation failed: \(takeMessage(message))")
        }
    }
}
