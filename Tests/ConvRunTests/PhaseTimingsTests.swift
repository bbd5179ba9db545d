import Testing

@testable import convrun

@Suite("Where a run's time went (--timings, --json)")
struct PhaseTimingsTests {
  static let first = PhaseTimings(
    load: .microseconds(14_712), input: .microseconds(281), run: .microseconds(48_300), write: .microseconds(402))

  @Test("the first input's line names every phase, load first, in milliseconds")
  func firstInput() {
    #expect(Self.first.text() == "timings: load 14.712 ms, input 0.281 ms, run 48.300 ms, write 0.402 ms")
    let fields = Self.first.jsonFields.map { $0.split(separator: ":").map(String.init) }
    #expect(fields.map(\.[0]) == ["\"load_ms\"", "\"input_ms\"", "\"write_ms\""])
    let values = fields.compactMap { Double($0[1]) }
    #expect(values.count == 3 && zip(values, [14.712, 0.281, 0.402]).allSatisfy { abs($0 - $1) < 1e-9 })
  }

  @Test("a later input has no load of its own: left out of the text, null in JSON")
  func laterInput() {
    var later = Self.first
    later.load = nil
    #expect(later.text(input: "b.wav") == "timings (b.wav): input 0.281 ms, run 48.300 ms, write 0.402 ms")
    #expect(later.jsonFields.first == "\"load_ms\":null")
  }
}
