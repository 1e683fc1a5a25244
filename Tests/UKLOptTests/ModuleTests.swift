import Foundation
import Testing

@testable import UKLOpt

/// Module ownership: one owner, linking consumes, contexts are not mixed.
@Suite struct ModuleTests {
    static func module(_ source: String, name: String, context: Context) throws -> Module {
        try Module.load(Data(source.utf8), name: name, context: context)
    }

    @Test func linkingConsumesTheSourceAndFinishGivesTheWhole() throws {
        let context = Context()
        var linker = Linker(try Self.module("define i32 @f() {\n  ret i32 1\n}\n", name: "f.ll", context: context))
        try linker.link(try Self.module("define i32 @g() {\n  ret i32 2\n}\n", name: "g.ll", context: context))
        let whole = linker.finish()
        #expect(whole.origin == "f.ll")
        #expect(whole.functions.map(\.name) == ["f", "g"])
        try whole.verify()
    }

    /// Modules of two contexts cannot be linked: LLVM would corrupt both.
    @Test func modulesOfTwoContextsAreRefused() throws {
        var linker = Linker(try Self.module("define void @f() {\n  ret void\n}\n", name: "f.ll", context: Context()))
        let other = try Self.module("define void @g() {\n  ret void\n}\n", name: "g.ll", context: Context())
        do {
            try linker.link(other)
            Issue.record("linked modules of two contexts")
        } catch let error as UKLError {
            #expect(error == .tool("g.ll and f.ll were read into different LLVM contexts"))
        }
        let whole = linker.finish()
        #expect(whole.functions.map(\.name) == ["f"])
    }

    /// A clone is its own module: changing it leaves the original alone.
    @Test func aCloneIsIndependent() throws {
        let original = try Self.module("define void @f() {\n  ret void\n}\n", name: "f.ll", context: Context())
        let copy = original.clone()
        copy.functions[0].asGlobal.rename("renamed")
        #expect(original.functions.map(\.name) == ["f"])
        #expect(copy.functions.map(\.name) == ["renamed"])
    }
}
