import Testing

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
