internal import CLLVMBridge

/// One place where the application enters the kernel.
public struct SyscallSite: Codable, Equatable, Sendable {
    public enum Via: String, Codable, Sendable {
        /// Inline asm that executes `syscall`.
        case asm
        /// A call to a known libc-style wrapper such as `syscall(long, ...)`,
        /// defined outside the module.
        case wrapper
    }

    /// The function that contains the site.
    public let function: String
    public let via: Via
    /// The syscall number, when it is a constant.
    public let number: Int?
    /// The syscall's name when the number is a constant and known.
    public let name: String?
    /// Where the site came from: app, runtime, libc or libc-asm (as `ukl-opt
    /// cc` recorded it; app when nothing was recorded).
    public let origin: String

    /// `getppid`, `#999` for an unknown constant, `dynamic` otherwise.
    public var label: String {
        if let name { return name }
        if let number { return "#\(number)" }
        return "dynamic"
    }
}

/// A site together with the IR it lives in, for rewriting.
struct LocatedSite {
    let site: SyscallSite
    let call: Instruction
    let function: Function
    /// Call argument holding each syscall argument (di, si, dx, r10, r8, r9), if any.
    let arguments: [LLVMValueRef?]
    /// The value holding the syscall number.
    let number: LLVMValueRef?
}

/// Finds every syscall site of a module.
struct SiteFinder {
    let table: SyscallTable
    let wrappers: Set<String>

    func sites(in module: borrowing Module) -> [LocatedSite] {
        module.functions.filter { !$0.isDeclaration }.flatMap { sites(in: $0) }
    }

    func sites(in function: Function) -> [LocatedSite] {
        var result: [LocatedSite] = []
        for instruction in function.instructions where instruction.isCall {
            if let site = site(at: instruction, in: function) { result.append(site) }
        }
        return result
    }

    private func site(at call: Instruction, in function: Function) -> LocatedSite? {
        let arguments = call.callArguments
        if let asm = call.inlineAsm {
            guard asmExecutesSyscall(asm.text) else { return nil }
            let constraints = AsmConstraints(asm.constraints)
            let number = constraints.argument(in: "ax").map { arguments[$0] }
            let syscallArguments = AsmConstraints.syscallArgumentRegisters.map { register in
                constraints.argument(in: register).map { arguments[$0] }
            }
            return located(.asm, call: call, function: function, number: number, arguments: syscallArguments)
        }
        if let callee = Function(call.calledValue), callee.isDeclaration, wrappers.contains(callee.name),
            !arguments.isEmpty
        {
            let rest = arguments.dropFirst().prefix(6).map { Optional($0) }
            return located(
                .wrapper, call: call, function: function, number: arguments[0],
                arguments: rest + Array(repeating: nil, count: 6 - rest.count))
        }
        return nil
    }

    /// The `!ukl.origin` metadata `ukl-opt cc` put on the call, or "app".
    private func origin(of call: Instruction) -> String {
        let context = LLVMGetModuleContext(
            LLVMGetGlobalParent(LLVMGetBasicBlockParent(LLVMGetInstructionParent(call.ref))))
        let kind = LLVMGetMDKindIDInContext(context, AppLinker.originKind, UInt32(AppLinker.originKind.utf8.count))
        guard let node = LLVMGetMetadata(call.ref, kind), LLVMGetMDNodeNumOperands(node) == 1 else { return "app" }
        var operand: LLVMValueRef?
        LLVMGetMDNodeOperands(node, &operand)
        var length: UInt32 = 0
        guard let operand, let text = LLVMGetMDString(operand, &length) else { return "app" }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: Int(length)), as: UTF8.self)
    }

    private func located(
        _ via: SyscallSite.Via, call: Instruction, function: Function,
        number: LLVMValueRef?, arguments: [LLVMValueRef?]
    ) -> LocatedSite {
        var constant: Int?
        if let number, LLVMIsAConstantInt(number) != nil {
            constant = Int(LLVMConstIntGetSExtValue(number))
        }
        let site = SyscallSite(
            function: function.name, via: via, number: constant,
            name: constant.flatMap { table.byNumber[$0]?.name }, origin: origin(of: call))
        return LocatedSite(site: site, call: call, function: function, arguments: arguments, number: number)
    }
}
