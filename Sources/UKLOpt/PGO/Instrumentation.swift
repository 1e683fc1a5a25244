internal import CLLVMBridge
import Foundation

/// IR-level PGO instrumentation of the combined application + kernel
/// module. LLVM's `pgo-instr-gen` places the counters (the same pass and
/// the same hashes clang's -fprofile-generate uses); this file lowers its
/// intrinsics, since the kernel has no compiler-rt: every counter becomes an
/// element of one array, every indirect-call site a few slots of another,
/// both global symbols the tool reads back from the guest (ProfileCollector).
enum Instrumentation {
    /// Targets remembered per indirect-call site.
    static let slotsPerSite = 8

    /// Sections whose code runs before the kernel's own mapping is up: a
    /// counter there is a write to an unmapped address.
    static let earlySections: Set<String> = [".head.text"]

    /// Instruments `module` in place and returns where the counters are.
    /// The counters are zeroed when `start` (the application's entry) is
    /// entered: a profile is of the application's run and the kernel work
    /// done for it, not of the boot before it, whose loops (calibrating
    /// the APIC timer: 21 million iterations) would make the workload's
    /// paths look cold.
    static func instrument(
        _ module: borrowing Module, machine: TargetMachine, start: String
    ) throws -> ProfileLayout {
        excludeEarlyCode(module)
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        if let error = LLVMRunPasses(module.handle, "pgo-instr-gen", machine.ref, options) {
            throw UKLError.tool("pgo-instr-gen: \(takeError(error))")
        }
        return try lower(module, start: start)
    }

    /// Code in early sections, and everything it calls, gets `noprofile`
    /// (noinstr code has it already: the kernel's `noinstr` carries `__no_profile`).
    static func excludeEarlyCode(_ module: borrowing Module) {
        var pending = module.functions.filter { function in
            guard let section = LLVMGetSection(function.ref) else { return false }
            return earlySections.contains(String(cString: section))
        }
        var seen = Set(pending)
        while let function = pending.popLast() {
            module.context.addFunctionAttribute(function, "noprofile")
            for instruction in function.instructions {
                guard let callee = Function(instruction.calledValue), !callee.isDeclaration,
                    seen.insert(callee).inserted
                else { continue }
                pending.append(callee)
            }
        }
    }

    private enum Intrinsic: String {
        case increment = "llvm.instrprof.increment"
        case incrementStep = "llvm.instrprof.increment.step"
        case valueProfile = "llvm.instrprof.value.profile"
    }

    /// LLVM's value kinds (InstrProfData.inc).
    private static let indirectCallTarget: UInt64 = 0
    private static let memOPSize: UInt64 = 1

    /// Replaces the instrumentation intrinsics with plain loads and stores
    /// of the arrays, and calls of a small routine for indirect-call targets.
    static func lower(_ module: borrowing Module, start: String) throws -> ProfileLayout {
        let context = module.context
        var calls: [(Instruction, Intrinsic)] = []
        for function in module.functions where function.isIntrinsic {
            let name = function.name
            guard name.hasPrefix("llvm.instrprof.") else { continue }
            guard let intrinsic = Intrinsic(rawValue: name) else {
                throw UKLError.tool("cannot lower \(name): only counters and value profiles are")
            }
            for use in chain(LLVMGetFirstUse(function.ref), LLVMGetNextUse) {
                calls.append((Instruction(ref: LLVMGetUser(use)), intrinsic))
            }
        }

        // One record per function, in the order the calls were met (module
        // order of the intrinsics' users is deterministic).
        var functions: [ProfileLayout.Function] = []
        var index: [LLVMValueRef: Int] = [:]  // by the function's __profn_ global
        var localNames: [String: String] = [:]
        func record(_ call: Instruction) -> Int {
            let arguments = call.callArguments
            let nameGlobal = arguments[0]
            if let found = index[nameGlobal] { return found }
            var length = 0
            let name = string(LLVMGetAsString(LLVMGetInitializer(nameGlobal), &length), length)
            let owner = LLVMGetBasicBlockParent(LLVMGetInstructionParent(call.ref))!
            let symbol = Function(ref: owner).name
            if symbol != name { localNames[symbol] = name }
            functions.append(
                .init(
                    name: name, hash: LLVMConstIntGetZExtValue(arguments[1]), firstCounter: 0, counters: 0,
                    firstSite: 0, sites: 0, memopSites: 0))
            index[nameGlobal] = functions.count - 1
            return functions.count - 1
        }
        for (call, intrinsic) in calls {
            let arguments = call.callArguments
            let at = record(call)
            switch intrinsic {
            case .increment, .incrementStep:
                functions[at].counters = Int(LLVMConstIntGetZExtValue(arguments[2]))
            case .valueProfile:
                let site = Int(LLVMConstIntGetZExtValue(arguments[4])) + 1
                if LLVMConstIntGetZExtValue(arguments[3]) == indirectCallTarget {
                    functions[at].sites = max(functions[at].sites, site)
                } else if LLVMConstIntGetZExtValue(arguments[3]) == memOPSize {
                    functions[at].memopSites = max(functions[at].memopSites, site)
                } else {
                    throw UKLError.tool(
                        "cannot lower a value profile of kind \(LLVMConstIntGetZExtValue(arguments[3]))")
                }
            }
        }
        var counterCount = 0
        var siteCount = 0
        for at in functions.indices {
            functions[at].firstCounter = counterCount
            functions[at].firstSite = siteCount
            counterCount += functions[at].counters
            siteCount += functions[at].sites
        }

        let counters = array(
            in: module, named: ProfileLayout.counterSymbol, of: context.int64, count: max(counterCount, 1))
        let slotType = LLVMArrayType2(context.int64, 2)!
        let values = array(
            in: module, named: ProfileLayout.valueSymbol, of: slotType, count: max(siteCount * slotsPerSite, 1))
        let builder = LLVMCreateBuilderInContext(context.ref)!
        defer { LLVMDisposeBuilder(builder) }
        var valueRoutine: LLVMValueRef?
        var nameGlobals = Set<LLVMValueRef>()
        for (call, intrinsic) in calls {
            let arguments = call.callArguments
            let function = functions[record(call)]
            nameGlobals.insert(arguments[0])
            LLVMPositionBuilderBefore(builder, call.ref)
            switch intrinsic {
            case .increment, .incrementStep:
                let element = function.firstCounter + Int(LLVMConstIntGetZExtValue(arguments[3]))
                let address = elementAddress(counters, at: element, context: context)
                let old = LLVMBuildLoad2(builder, context.int64, address, "")
                let step = intrinsic == .increment ? LLVMConstInt(context.int64, 1, 0)! : arguments[4]
                LLVMBuildStore(builder, LLVMBuildAdd(builder, old, step, ""), address)
            case .valueProfile:
                guard LLVMConstIntGetZExtValue(arguments[3]) == indirectCallTarget else { break }
                let site = function.firstSite + Int(LLVMConstIntGetZExtValue(arguments[4]))
                let address = elementAddress(values, at: site * slotsPerSite, context: context)
                let routine = valueRoutine ?? makeValueRoutine(in: module, like: call, builder: builder)
                valueRoutine = routine
                LLVMPositionBuilderBefore(builder, call.ref)
                var callArguments: [LLVMValueRef?] = [address, arguments[2]]
                LLVMBuildCall2(
                    builder, LLVMGlobalGetValueType(routine), routine, &callArguments, 2, "")
            }
            LLVMInstructionEraseFromParent(call.ref)
        }
        if let entry = module.function(named: start), !entry.isDeclaration {
            LLVMPositionBuilderBefore(builder, LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(entry.ref)))
            for array in [counters, values] {
                let bytes = LLVMABISizeOfType(
                    LLVMGetModuleDataLayout(module.handle), LLVMGlobalGetValueType(array))
                LLVMBuildMemSet(
                    builder, array, LLVMConstInt(context.int8, 0, 0), LLVMConstInt(context.int64, bytes, 0), 64)
            }
        }
        // What the pass left for a runtime that is not there.
        for global in nameGlobals where LLVMGetFirstUse(global) == nil { LLVMDeleteGlobal(global) }
        if let version = LLVMGetNamedGlobal(module.handle, "__llvm_profile_raw_version") {
            LLVMDeleteGlobal(version)
        }
        for function in module.functions where function.name.hasPrefix("llvm.instrprof.") {
            LLVMDeleteFunction(function.ref)
        }
        try module.verify()
        return ProfileLayout(
            functions: functions, counterCount: counterCount, siteCount: siteCount, slotsPerSite: slotsPerSite,
            localNames: localNames)
    }

    /// A zeroed array with a global symbol (in .bss, which the kernel's linker
    /// script keeps), so System.map says where it is.
    private static func array(
        in module: borrowing Module, named name: String, of element: LLVMTypeRef, count: Int
    ) -> LLVMValueRef {
        let type = LLVMArrayType2(element, UInt64(count))!
        let global = LLVMAddGlobal(module.handle, type, name)!
        LLVMSetInitializer(global, LLVMConstNull(type))
        LLVMSetAlignment(global, 64)
        return global
    }

    private static func elementAddress(_ array: LLVMValueRef, at element: Int, context: Context) -> LLVMValueRef {
        var indices: [LLVMValueRef?] = [
            LLVMConstInt(context.int64, 0, 0), LLVMConstInt(context.int64, UInt64(element), 0),
        ]
        return LLVMConstInBoundsGEP2(LLVMGlobalGetValueType(array), array, &indices, 2)
    }

    /// `void __ukl_pgo_value(ptr slots, i64 target)`: counts `target` in the
    /// first slot that holds it or is free. Built with the code-generation
    /// attributes of the function whose call it serves (kernel code: no red
    /// zone, no SSE), and not instrumented itself.
    private static func makeValueRoutine(
        in module: borrowing Module, like call: Instruction, builder: LLVMBuilderRef
    ) -> LLVMValueRef {
        let context = module.context
        let i64 = context.int64
        var parameters: [LLVMTypeRef?] = [context.pointer, i64]
        let type = LLVMFunctionType(context.void, &parameters, 2, 0)!
        let routine = LLVMAddFunction(module.handle, "__ukl_pgo_value", type)!
        LLVMSetLinkage(routine, LLVMInternalLinkage)
        let model = LLVMGetBasicBlockParent(LLVMGetInstructionParent(call.ref))!
        let index = LLVMAttributeIndex(bitPattern: Int32(LLVMAttributeFunctionIndex))
        for key in ["target-cpu", "target-features", "tune-cpu", "frame-pointer"] {
            if let attribute = LLVMGetStringAttributeAtIndex(model, index, key, UInt32(key.utf8.count)) {
                LLVMAddAttributeAtIndex(routine, index, attribute)
            }
        }
        for name in ["noredzone", "nounwind", "noinline", "noprofile", "null_pointer_is_valid"] {
            context.addFunctionAttribute(Function(ref: routine), name)
        }
        let slots = LLVMGetParam(routine, 0)!
        let target = LLVMGetParam(routine, 1)!
        func block(_ name: String) -> LLVMBasicBlockRef { LLVMAppendBasicBlockInContext(context.ref, routine, name) }
        let entry = block("entry")
        let loop = block("loop")
        let hit = block("hit")
        let free = block("free")
        let claim = block("claim")
        let next = block("next")
        let full = block("full")
        func constant(_ value: UInt64) -> LLVMValueRef { LLVMConstInt(i64, value, 0) }
        let slotType = LLVMArrayType2(i64, 2)!

        LLVMPositionBuilderAtEnd(builder, entry)
        LLVMBuildBr(builder, loop)

        LLVMPositionBuilderAtEnd(builder, loop)
        let slot = LLVMBuildPhi(builder, i64, "")!
        var slotIndex: [LLVMValueRef?] = [slot]
        let slotAddress = LLVMBuildInBoundsGEP2(builder, slotType, slots, &slotIndex, 1, "")!
        var countIndex: [LLVMValueRef?] = [constant(0), constant(1)]
        let countAddress = LLVMBuildInBoundsGEP2(builder, slotType, slotAddress, &countIndex, 2, "")!
        let seen = LLVMBuildLoad2(builder, i64, slotAddress, "")!
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, seen, target, ""), hit, free)

        LLVMPositionBuilderAtEnd(builder, hit)
        let count = LLVMBuildLoad2(builder, i64, countAddress, "")!
        LLVMBuildStore(builder, LLVMBuildAdd(builder, count, constant(1), ""), countAddress)
        LLVMBuildRetVoid(builder)

        LLVMPositionBuilderAtEnd(builder, free)
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntEQ, seen, constant(0), ""), claim, next)

        LLVMPositionBuilderAtEnd(builder, claim)
        LLVMBuildStore(builder, target, slotAddress)
        LLVMBuildStore(builder, constant(1), countAddress)
        LLVMBuildRetVoid(builder)

        LLVMPositionBuilderAtEnd(builder, next)
        let following = LLVMBuildAdd(builder, slot, constant(1), "")!
        let more = LLVMBuildICmp(builder, LLVMIntULT, following, constant(UInt64(slotsPerSite)), "")
        LLVMBuildCondBr(builder, more, loop, full)

        LLVMPositionBuilderAtEnd(builder, full)
        LLVMBuildRetVoid(builder)

        var incoming: [LLVMValueRef?] = [constant(0), following]
        var from: [LLVMBasicBlockRef?] = [entry, next]
        LLVMAddIncoming(slot, &incoming, &from, 2)
        return routine
    }
}
