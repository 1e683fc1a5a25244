internal import CLLVMBridge

/// What `apply` did to one site.
public struct RewrittenSite: Codable, Equatable, Sendable {
    public enum How: String, Codable, Sendable {
        /// The syscall entry, called with the syscall register convention.
        case entry
        /// The syscall's own C entry (bypass, nss).
        case direct
        /// The dispatcher, for a number that is not constant.
        case dispatch
        /// A guarded TCP shortcut.
        case shortcut
    }

    public let site: SyscallSite
    public let callee: String
    public let how: How
    /// Why a site did not get its tier's preferred treatment, if it did not.
    public let note: String?
}

/// The result of rewriting a module for a tier.
public struct RewriteReport: Codable, Sendable {
    public let input: String
    public let level: Level
    public let sites: [RewrittenSite]

    /// Number of sites per `How`.
    public var counts: [RewrittenSite.How: Int] {
        Dictionary(grouping: sites, by: \.how).mapValues(\.count)
    }
}

/// Rewrites every syscall site of a module as a tier says.
public struct Rewriter {
    public let contract: Contract
    public let table: SyscallTable

    public init(contract: Contract, table: SyscallTable) {
        self.contract = contract
        self.table = table
    }

    public static func load() throws -> Rewriter {
        Rewriter(contract: try Contract.load(), table: try SyscallTable.load())
    }

    /// The sites of `module`, in order.
    public func sites(in module: borrowing Module) -> [SyscallSite] {
        finder.sites(in: module).map(\.site)
    }

    var finder: SiteFinder { SiteFinder(table: table, wrappers: contract.wrappers) }

    /// Rewrites `module` in place for `level` and verifies it. A module that
    /// does not verify afterwards is a bug in ukl-opt (`UKLError.tool`).
    public func rewrite(_ module: borrowing Module, level: Level) throws -> RewriteReport {
        guard let rule = contract.tiers[level] else {
            throw UKLError.input(
                file: module.origin, reason: "level '\(level.rawValue)' rewrites nothing: the program runs as it is")
        }
        try module.verify(asInput: true)
        var done: [RewrittenSite] = []
        let session = RewriteSession(
            module: module.handle, context: module.context, origin: module.origin, contract: contract)
        // One site at a time, found afresh in its function: rewriting a site
        // replaces its call, and another site may take that call's result as
        // an argument. (Rescanning the whole module per site took minutes on Redis.)
        let functions = finder.sites(in: module).map(\.function).reduce(into: [Function]()) {
            if $0.last != $1 { $0.append($1) }
        }
        for function in functions {
            let total = finder.sites(in: function).count
            var rewritten = 0
            while let located = finder.sites(in: function).first {
                guard rewritten < total else {
                    throw UKLError.tool(
                        "\(module.origin): a rewritten syscall site was found again in '\(located.site.function)'")
                }
                done.append(try session.rewrite(located, rule: rule, table: table))
                rewritten += 1
            }
        }
        // A wrapper whose every call was rewritten is no longer needed.
        for name in contract.wrappers {
            if let wrapper = module.function(named: name), wrapper.isDeclaration, LLVMGetFirstUse(wrapper.ref) == nil {
                LLVMDeleteFunction(wrapper.ref)
            }
        }
        try module.verify()
        return RewriteReport(input: module.origin, level: level, sites: done)
    }
}

/// The IR work of one `rewrite` call, on the module it borrows.
private final class RewriteSession {
    let module: LLVMModuleRef
    let context: Context
    let origin: String
    let contract: Contract
    let builder: LLVMBuilderRef

    init(module: LLVMModuleRef, context: Context, origin: String, contract: Contract) {
        self.module = module
        self.context = context
        self.origin = origin
        self.contract = contract
        builder = LLVMCreateBuilderInContext(context.ref)
    }

    deinit { LLVMDisposeBuilder(builder) }

    func rewrite(_ located: LocatedSite, rule: TierRule, table: SyscallTable) throws -> RewrittenSite {
        let site = located.site
        var note: String?
        if rule.call == .direct {
            if let reason = directObstacle(located) {
                note = "kept the entry: \(reason)"
            } else if let number = site.number {
                guard let syscall = table.byNumber[number] else {
                    return try rewriteToDispatcher(located, rule: rule, note: "unknown syscall number \(number)")
                }
                if rule.fullEntry.contains(syscall.name) {
                    try rewriteToEntry(located)
                    return RewrittenSite(
                        site: site, callee: contract.entry, how: .entry,
                        note: "kept the entry: \(syscall.name) needs the full syscall frame")
                }
                let symbol = rule.symbol(for: syscall)!
                let how: RewrittenSite.How = rule.shortcuts[syscall.name] != nil ? .shortcut : .direct
                let arguments = try (0..<syscall.arity).map { try int64(located.arguments[$0], site: site) }
                try replace(located, withCallTo: symbol, arguments: arguments)
                return RewrittenSite(site: site, callee: symbol, how: how, note: nil)
            } else {
                return try rewriteToDispatcher(located, rule: rule, note: nil)
            }
        }
        try rewriteToEntry(located)
        return RewrittenSite(site: site, callee: contract.entry, how: .entry, note: note)
    }

    /// Why a site cannot become a plain C call, if it cannot.
    private func directObstacle(_ located: LocatedSite) -> String? {
        guard located.site.via == .asm else { return nil }
        guard let asm = located.call.inlineAsm else { return nil }
        if asmStatements(asm.text).filter({ !$0.isEmpty }).count != 1 {
            return "the asm does more than 'syscall'"
        }
        let constraints = AsmConstraints(asm.constraints)
        if !(constraints.outputRegisters.isEmpty || constraints.outputRegisters == ["ax"]) {
            return "the asm has outputs other than rax"
        }
        if LLVMGetInstructionOpcode(located.call.ref) != LLVMCall {
            return "the asm is not a plain call"
        }
        return nil
    }

    private func rewriteToDispatcher(_ located: LocatedSite, rule: TierRule, note: String?) throws -> RewrittenSite {
        // Without a number the dispatcher would get 0 (read): refuse instead.
        guard located.number != nil else {
            throw UKLError.input(
                file: origin,
                reason: "the syscall asm in '\(located.site.function)' has no rax input, "
                    + "so its syscall number is unknown; pass the number as an \"a\" operand")
        }
        let symbol = rule.dynamic!
        var arguments = [try int64(located.number, site: located.site)]
        arguments += try located.arguments.map { try int64($0, site: located.site) }
        try replace(located, withCallTo: symbol, arguments: arguments)
        return RewrittenSite(site: located.site, callee: symbol, how: .dispatch, note: note)
    }

    /// Base: the same asm with `syscall` replaced by a call to the entry, so the
    /// register convention (and everything else) stays as it was.
    private func rewriteToEntry(_ located: LocatedSite) throws {
        // Calling the entry from inline asm pushes a return address below the stack pointer.
        try AppABI.requireNoRedZone(located.function, context: context, origin: origin)
        switch located.site.via {
        case .asm:
            let callee = located.call.calledValue!
            var asmLength = 0
            var constraintLength = 0
            let asm = String(cString: LLVMGetInlineAsmAsmString(callee, &asmLength))
            let constraints = LLVMGetInlineAsmConstraintString(callee, &constraintLength)!
            let replaced = asmReplacingSyscall(asm, with: entryCall(dialect: LLVMGetInlineAsmDialect(callee)))
            let newAsm = LLVMGetInlineAsm(
                LLVMGetInlineAsmFunctionType(callee), replaced, replaced.utf8.count,
                UnsafeMutablePointer(mutating: constraints), constraintLength,
                LLVMGetInlineAsmHasSideEffects(callee), LLVMGetInlineAsmNeedsAlignedStack(callee),
                LLVMGetInlineAsmDialect(callee), LLVMGetInlineAsmCanUnwind(callee))
            LLVMSetOperand(located.call.ref, UInt32(LLVMGetNumOperands(located.call.ref) - 1), newAsm)
        case .wrapper:
            LLVMPositionBuilderBefore(builder, located.call.ref)
            let i64 = context.int64
            var parameters = [LLVMTypeRef?](repeating: i64, count: 7)
            let type = LLVMFunctionType(i64, &parameters, 7, 0)!
            let call = entryCall(dialect: LLVMInlineAsmDialectATT)
            let constraints =
                "={ax},{ax},{di},{si},{dx},{r10},{r8},{r9},~{rcx},~{r11},~{memory},~{dirflag},~{fpsr},~{flags}"
            let asm = LLVMGetInlineAsm(
                type, call, call.utf8.count, constraints, constraints.utf8.count,
                1, 0, LLVMInlineAsmDialectATT, 0)
            var arguments: [LLVMValueRef?] = [try int64(located.number, site: located.site)]
            arguments += try located.arguments.map { try int64($0, site: located.site) }
            let raw = LLVMBuildCall2(builder, type, asm, &arguments, 7, "")!
            finishWrapper(located, raw: raw)
        }
    }

    /// The instructions that stand in for `syscall`. The indirect call is two
    /// bytes long, as `syscall` is, so when the kernel restarts an interrupted
    /// call by moving the return address back two bytes it calls the entry
    /// again; the entry hands rcx back holding its own address for that.
    /// rcx is free: `syscall` clobbers it too.
    private func entryCall(dialect: LLVMInlineAsmDialect) -> String {
        dialect == LLVMInlineAsmDialectIntel
            ? "mov rcx, offset \(contract.entry)\n\tcall rcx"
            : "movq $$\(contract.entry), %rcx\n\tcall *%rcx"
    }

    /// Replaces the site with `symbol(arguments...)`, a C call returning long.
    private func replace(_ located: LocatedSite, withCallTo symbol: String, arguments: [LLVMValueRef]) throws {
        let i64 = context.int64
        var parameters = [LLVMTypeRef?](repeating: i64, count: arguments.count)
        let type = LLVMFunctionType(i64, &parameters, UInt32(arguments.count), 0)!
        let function = try declare(symbol, type: type)
        LLVMPositionBuilderBefore(builder, located.call.ref)
        var values = arguments.map { Optional($0) }
        let result = LLVMBuildCall2(builder, type, function, &values, UInt32(values.count), "")!
        switch located.site.via {
        case .asm:
            let old = LLVMTypeOf(located.call.ref)!
            if LLVMGetTypeKind(old) != LLVMVoidTypeKind {
                LLVMReplaceAllUsesWith(located.call.ref, resize(result, to: old))
            }
            LLVMInstructionEraseFromParent(located.call.ref)
        case .wrapper:
            finishWrapper(located, raw: result)
        }
    }

    /// A wrapper returns -1 and sets errno where the kernel returns -errno.
    private func finishWrapper(_ located: LocatedSite, raw: LLVMValueRef) {
        var argument: LLVMValueRef? = raw
        let result = LLVMBuildCall2(builder, libcResultType, libcResult, &argument, 1, "")!
        let old = LLVMTypeOf(located.call.ref)!
        if LLVMGetTypeKind(old) != LLVMVoidTypeKind {
            LLVMReplaceAllUsesWith(located.call.ref, resize(result, to: old))
        }
        LLVMInstructionEraseFromParent(located.call.ref)
    }

    private var libcResultType: LLVMTypeRef {
        var parameter: LLVMTypeRef? = context.int64
        return LLVMFunctionType(context.int64, &parameter, 1, 0)
    }

    /// `long ukl.syscall_result(long r)`: libc's convention over a raw result,
    /// defined once per module.
    private lazy var libcResult: LLVMValueRef = {
        let name = "ukl.syscall_result"
        if let existing = LLVMGetNamedFunction(module, name) { return existing }
        let i64 = context.int64
        let function = LLVMAddFunction(module, name, libcResultType)!
        LLVMSetLinkage(function, LLVMInternalLinkage)
        let local = LLVMCreateBuilderInContext(context.ref)!
        defer { LLVMDisposeBuilder(local) }
        let entry = LLVMAppendBasicBlockInContext(context.ref, function, "entry")
        let failed = LLVMAppendBasicBlockInContext(context.ref, function, "failed")
        let done = LLVMAppendBasicBlockInContext(context.ref, function, "done")
        let raw = LLVMGetParam(function, 0)!
        LLVMPositionBuilderAtEnd(local, entry)
        let isError = LLVMBuildICmp(local, LLVMIntUGT, raw, LLVMConstInt(i64, UInt64(bitPattern: -4096), 1), "")
        LLVMBuildCondBr(local, isError, failed, done)
        LLVMPositionBuilderAtEnd(local, failed)
        let errnoType = LLVMFunctionType(context.pointer, nil, 0, 0)!
        let errnoFunction =
            (try? declare(contract.errnoLocation, type: errnoType))
            ?? LLVMGetNamedFunction(module, contract.errnoLocation)!
        let location = LLVMBuildCall2(local, errnoType, errnoFunction, nil, 0, "")
        let code = LLVMBuildTrunc(local, LLVMBuildNeg(local, raw, ""), context.int32, "")
        LLVMBuildStore(local, code, location)
        LLVMBuildRet(local, LLVMConstInt(i64, UInt64(bitPattern: -1), 1))
        LLVMPositionBuilderAtEnd(local, done)
        LLVMBuildRet(local, raw)
        return function
    }()

    private func declare(_ symbol: String, type: LLVMTypeRef) throws -> LLVMValueRef {
        if let existing = LLVMGetNamedFunction(module, symbol) {
            guard LLVMGlobalGetValueType(existing) == type else {
                throw UKLError.input(
                    file: origin,
                    reason: "'\(symbol)' is already declared with another type; it belongs to the UKL kernel")
            }
            return existing
        }
        return LLVMAddFunction(module, symbol, type)
    }

    /// A syscall argument as the i64 a register would hold (0 when the site does not set it).
    private func int64(_ value: LLVMValueRef?, site: SyscallSite) throws -> LLVMValueRef {
        let i64 = context.int64
        guard let value else { return LLVMConstInt(i64, 0, 0) }
        let type = LLVMTypeOf(value)!
        switch LLVMGetTypeKind(type) {
        case LLVMPointerTypeKind:
            return LLVMBuildPtrToInt(builder, value, i64, "")
        case LLVMIntegerTypeKind where LLVMGetIntTypeWidth(type) == 64:
            return value
        case LLVMIntegerTypeKind where LLVMGetIntTypeWidth(type) < 64:
            return LLVMBuildSExt(builder, value, i64, "")
        default:
            throw UKLError.input(
                file: origin,
                reason: "syscall site in '\(site.function)' passes a non-integer argument")
        }
    }

    /// An i64 result as the type the site produced.
    private func resize(_ value: LLVMValueRef, to type: LLVMTypeRef) -> LLVMValueRef {
        if type == context.int64 { return value }
        if LLVMGetTypeKind(type) == LLVMPointerTypeKind { return LLVMBuildIntToPtr(builder, value, type, "") }
        return LLVMBuildTrunc(builder, value, type, "")
    }

}
