namespace Maskbench.Bench.Entries;
