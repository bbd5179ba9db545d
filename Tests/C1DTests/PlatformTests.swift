import CC1DKernels
import Testing
#if canImport(Glibc)
  import Glibc
#endif

@testable import C1D

#if os(Linux)
  @Suite("Platform: placing worker threads on cores")
  struct PlatformTests {
    @Test("a thread moved off its core runs elsewhere, and may then use every core again", .enabled(if: Platform.coreCount > 1))
    func moveOffCore() throws {
      let start = try #require(Platform.currentCore())
      let movedTo = try #require(Platform.moveOff(core: start), "no other core allowed (this test needs two)")
      #expect(movedTo != start)
      // Excluding the second core as well succeeds only if the first one was allowed again.
      let movedBack = try #require(Platform.moveOff(core: movedTo), "the first core was not allowed again")
      #expect(movedBack != movedTo)
    }

    @Test("no core, or a core number out of range, leaves the thread where it is", arguments: [-1, 1 << 20])
    func moveOffNoCore(core: Int) {
      #expect(Platform.moveOff(core: core) == nil)
    }
  }
#endif

#if os(Linux) && arch(x86_64)
  /// The kernel sets `config.c` offers follow the CPU's features as Linux reports them (`/proc/cpuinfo`'s flags,
  /// which leave out what the OS does not save state for), read by CPUID and XGETBV in `x86-cpu.c`.
  @Suite("Platform: the CPU's kernel sets")
  struct CPUFeatureTests {
    /// The first `flags` line (a proc file reads as empty through a mapping: read line by line).
    static func cpuinfoFlags() throws -> Set<Substring> {
      let file = try #require(fopen("/proc/cpuinfo", "r"))
      defer { fclose(file) }
      var buffer = [CChar](repeating: 0, count: 1 << 16)
      while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(cString: buffer)
        if line.hasPrefix("flags") {
          return Set(line.split(separator: ":", maxSplits: 1)[1].split(whereSeparator: { $0 == " " || $0 == "\n" }))
        }
      }
      throw C1DError.io(path: "/proc/cpuinfo", operation: "read", errno: 0, message: "no flags line")
    }

    @Test("AVX2 + FMA and AVX-512F sets exactly when /proc/cpuinfo lists the features")
    func setsFollowCPUInfo() throws {
      let flags = try Self.cpuinfoFlags()
      #expect((KernelConfig(isa: C1D_ISA_AVX2) != nil) == (flags.contains("avx2") && flags.contains("fma")))
      #expect((KernelConfig(isa: C1D_ISA_AVX512) != nil) == flags.contains("avx512f"))
      #expect(KernelConfig(isa: C1D_ISA_PORTABLE) != nil)
    }
  }
#endif
