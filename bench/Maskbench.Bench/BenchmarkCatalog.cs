using Maskbench.Bench.Entries;

namespace Maskbench.Bench;

/// <summary>Every benchmark entry, in the order `maskbench bench` runs them. Feature work adds one line here.</summary>
public static class BenchmarkCatalog
{
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new MatmulBenchmark(),
        new NpyReadBenchmark(),
        new ImageDecodeBenchmark(),
        new ResizeBenchmark(),
        new SegmenterBenchmark(),
        new GtsrbBuildBenchmark(),
        new CocoBenchmark(),
        new PgdBenchmark(),
        new KernelRouteBenchmark(),
        new TrainBenchmark(),
        new TrainSmallBenchmark(),
        new EvalJobBenchmark(),
    ];

    public static IBenchmark Find(string name) =>
        All.FirstOrDefault(b => b.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new MaskbenchException($"no benchmark named '{name}'; known: {string.Join(", ", All.Select(b => b.Name))}");
}
