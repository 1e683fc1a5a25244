// swift-tools-version:6.0
import PackageDescription

// LLVM 19 from Debian: headers and libLLVM-19.so live here (llvm-config on PATH is 14).
let llvm = "/usr/lib/llvm-19"

// Swift sees the C headers through the bridge module, so it needs their path too.
let llvmHeaders: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I\(llvm)/include"])]

let package = Package(
    name: "ukl-opt",
    products: [
        .executable(name: "ukl-opt", targets: ["ukl-opt"]),
        .library(name: "UKLOpt", targets: ["UKLOpt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // The llvm-c headers plus a small C++ shim for what LLVM-C lacks.
        .target(
            name: "CLLVMBridge",
            cSettings: [.unsafeFlags(["-I\(llvm)/include"])],
            cxxSettings: [.unsafeFlags(["-I\(llvm)/include", "-fno-rtti", "-fno-exceptions"])],
            linkerSettings: [
                .unsafeFlags(["-L\(llvm)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(llvm)/lib"]),
                .linkedLibrary("LLVM-19"),
                .linkedLibrary("stdc++"),
            ]
        ),
        .target(name: "UKLOpt", dependencies: ["CLLVMBridge"], swiftSettings: llvmHeaders),
        .executableTarget(
            name: "ukl-opt",
            dependencies: ["UKLOpt", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "UKLOptTests", dependencies: ["UKLOpt"], swiftSettings: llvmHeaders),
    ],
    cxxLanguageStandard: .cxx17
)
