// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "c1d",
  products: [
    .library(name: "C1D", targets: ["C1D"]),
    .executable(name: "convrun", targets: ["convrun"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // zlib from the system (Debian: zlib1g-dev); the only C library the package links.
    .systemLibrary(
      name: "CZlib",
      path: "Sources/CZlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    // libdeflate from the system (Debian: libdeflate-dev): the loader's inflate and CRC-32; zlib writes.
    .systemLibrary(
      name: "CLibDeflate",
      path: "Sources/CLibDeflate",
      providers: [.apt(["libdeflate-dev"])]
    ),
    // Per-ISA numeric micro-kernels, selected at run time. Plain C so that
    // `__attribute__((target(...)))` reaches AVX-512 with no special compiler settings.
    .target(name: "CC1DKernels", path: "Sources/CC1DKernels"),
    .target(name: "C1D", dependencies: ["CZlib", "CLibDeflate", "CC1DKernels"]),
    // libsndfile for audio files given to the CLI, opened with dlopen on the first one rather than linked
    // (its codecs cost every convrun start about 1 ms in the dynamic loader); builds against <sndfile.h>
    // (Debian: libsndfile1-dev). Kept out of the C1D library: a package that depends on `C1D` needs
    // zlib and nothing else. dlopen is in libdl on glibc before 2.34.
    .target(
      name: "CSndFileLoader",
      linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
    ),
    // The CLI's system calls that Swift's Glibc and Musl modules do not declare (renameat2).
    .target(name: "CConvRunPlatform"),
    // Audio files in and out (libsndfile), shared by the CLI and the audio fuzz target; no product.
    .target(name: "ConvRunAudio", dependencies: ["C1D", "CSndFileLoader"]),
    .executableTarget(
      name: "convrun",
      dependencies: [
        "C1D",
        "ConvRunAudio",
        "CConvRunPlatform",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Fuzz targets (shared with the tests, which replay every saved crash), and their libFuzzer
    // entry point (tools/fuzz.sh); built normally, C1DFuzz replays files through the same targets.
    .target(name: "C1DFuzzTargets", dependencies: ["C1D", "ConvRunAudio"]),
    .executableTarget(name: "C1DFuzz", dependencies: ["C1DFuzzTargets"]),
    .testTarget(name: "C1DTests", dependencies: ["C1D", "C1DFuzzTargets", "ConvRunAudio", "CSndFileLoader"]),
    // The CLI's own text helpers, checked against Foundation's (which the test may link; the CLI may not).
    .testTarget(name: "ConvRunTests", dependencies: ["convrun"]),
  ]
)
