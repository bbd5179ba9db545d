import Testing

@testable import C1D

@Suite("Batches run sample by sample")
struct BySampleTests {
  static let architectures = Fixtures.subdirectories("architectures")

  @Test("one sample at a time gives the whole batch's outputs, bit for bit", arguments: architectures, [1, 2])
  func sameAsWholeBatch(name: String, threads: Int) throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/\(name)/model.c1d"))
    let fixture = try Fixtures.npy("architectures/\(name)/input.npy")
    let (channels, length) = (fixture.shape[fixture.shape.count - 2], fixture.shape[fixture.shape.count - 1])
    let batch = 3
    let input = Activation(
      shape: ValueShape(channels: channels, length: length), batch: batch,
      data: randomValues(batch * channels * length, seed: 7))
    let shapes = try model.validated.shapes(lengths: [length], batch: batch)
    let context = ExecutionContext(threads: threads, kernels: .current)
    let whole = model.plan.execute([input], shapes: shapes, context: context)
    let bySample = model.plan.executeBySample([input], shapes: shapes, context: context)
    #expect(bySample.count == whole.count)
    for (a, b) in zip(bySample, whole) {
      #expect(a.batch == batch && a.shape == b.shape)
      // Counted, not compared as arrays: a failing #expect would print both arrays whole.
      let differing = zip(a.data, b.data).filter { $0.bitPattern != $1.bitPattern }.count
      #expect(a.data.count == b.data.count && differing == 0, "\(name): \(differing) of \(b.data.count) values differ")
    }
  }

  @Test("large batched runs take the sample-by-sample path; single samples and small batches don't")
  func choice() {
    let plan = ExecutionPlan.self
    #expect(plan.bySampleAbove < 64 << 20)
    let model = try? Model(contentsOf: Fixtures.path("seed/model.c1d"))
    guard let model else { Issue.record("no seed model"); return }
    #expect(model.plan.shouldRunBySample(batch: 4, peakBytes: 64 << 20, boundaryBytes: 16 << 20))
    #expect(!model.plan.shouldRunBySample(batch: 1, peakBytes: 64 << 20, boundaryBytes: 16 << 20))
    #expect(!model.plan.shouldRunBySample(batch: 4, peakBytes: 1 << 20, boundaryBytes: 0))
    #expect(!model.plan.shouldRunBySample(batch: 4096, peakBytes: 64 << 20, boundaryBytes: 16 << 20))
    // A single layer: its peak is its input and output, which running by sample cannot shrink.
    #expect(!model.plan.shouldRunBySample(batch: 8, peakBytes: 64 << 20, boundaryBytes: 64 << 20))
  }
}
