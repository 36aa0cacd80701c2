using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Runtime;

/// <summary>The no-GC region is process-wide, so these tests run alone: another test's allocations would spend its budget.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideGcCollection
{
    public const string Name = "process-wide GC region";
}

[Collection(ProcessWideGcCollection.Name)]
public class NoCollectionZoneTests
{
    /// <summary>
    /// The race the zone exists for: <c>add_(1)</c> on an int64 tensor (batch norm's <c>num_batches_tracked</c> update)
    /// creates two finalizable TorchSharp scalars that are garbage as soon as their pointers reach libtorch. With a
    /// thread allocating beside it, collections land inside native calls and the finalizer frees scalars libtorch is
    /// about to read ("For integral input tensors, argument alpha must not be a floating point number"): measured
    /// 28 failures in 200,000 adds without zones, 0 with them. Inside zones every add must succeed and count.
    /// </summary>
    [Fact]
    public void Integer_adds_with_temporary_scalars_survive_a_thread_that_allocates()
    {
        const int adds = 60_000, perZone = 500;
        var stop = 0;
        long allocated = 0;
        var noise = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0) allocated += new byte[512].Length;
        }) { IsBackground = true };
        noise.Start();
        using var counter = tensor(0L);
        var failures = new List<string>();
        try
        {
            for (int start = 0; start < adds; start += perZone)
            {
                using var zone = NoCollectionZone.Enter();
                for (int i = 0; i < perZone; i++)
                {
                    try { counter.add_(1); }
                    catch (System.Runtime.InteropServices.ExternalException e) { failures.Add(e.Message.Split('\n')[0]); }
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            noise.Join();
        }
        Assert.True(allocated > 0);
        Assert.Empty(failures);
        Assert.Equal(adds, counter.item<long>());
    }

    [Fact]
    public void Zones_nest_and_leave_the_collector_in_its_normal_mode()
    {
        var before = System.Runtime.GCSettings.LatencyMode;
        using (NoCollectionZone.Enter())
        using (NoCollectionZone.Enter())
        {
            using var t = ones(3, 3) * 2;
            Assert.Equal(18f, t.sum().item<float>());
        }
        // A budget beyond what the runtime can set aside runs unprotected instead of failing.
        using (NoCollectionZone.Enter(extraBytes: 1L << 42))
        {
            using var t = ones(2) + 1;
            Assert.Equal(4f, t.sum().item<float>());
        }
        // This collection runs alone (DisableParallelization), so no other test holds the region: the mode is restored.
        Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, before);
        Assert.Equal(before, System.Runtime.GCSettings.LatencyMode);
    }

    [Fact]
    public void An_inner_zone_ending_leaves_the_outer_zone_in_force()
    {
        using (NoCollectionZone.Enter())
        {
            Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
            using (NoCollectionZone.Enter()) { }
            Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        }
        Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
    }

    /// <summary>Attacks and ensembles enter the zone themselves: a caller that opens none (a benchmark, a test) is protected.</summary>
    [Fact]
    public void Attacks_and_ensembles_run_their_model_calls_inside_a_zone_no_caller_opened()
    {
        Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        manual_seed(3);
        using var model = Maskbench.Models.ModelFactory.Create("smallcnn", 3, 8, channels: 1, width: 0.25);
        model.eval();
        using var x = rand(4, 1, 8, 8);
        using var y = tensor(new long[] { 0, 1, 2, 0 });
        var target = new ModeRecordingTarget(new Maskbench.Attacks.ModuleTarget(model));
        var threat = Maskbench.Attacks.ThreatModel.Linf(0.1);
        using (var single = new Maskbench.Attacks.PgdAttack { Steps = 2, EarlyStop = false }.Run(target, x, y, threat)) { }
        int afterSingle = target.Calls;
        var ensemble = new Maskbench.Attacks.AttackEnsemble("pair",
            [new Maskbench.Attacks.FgsmAttack(), new Maskbench.Attacks.PgdAttack { Steps = 2 }]);
        using (var both = ensemble.Run(target, x, y, threat)) { }
        Assert.True(afterSingle > 2 && target.Calls > afterSingle, $"model calls: {afterSingle}, then {target.Calls}");
        Assert.Equal(0, target.CallsOutsideZone);
        Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
    }

    /// <summary>Counts model calls, and those made outside a no-GC region, across the subsets the attacks select.</summary>
    sealed class ModeRecordingTarget(Maskbench.Attacks.IAttackTarget inner, int[]? counts = null) : Maskbench.Attacks.IAttackTarget
    {
        readonly int[] _counts = counts ?? new int[2];

        public int Calls => _counts[0];
        public int CallsOutsideZone => _counts[1];

        public Tensor Logits(Tensor inputs) { Record(); return inner.Logits(inputs); }

        public Tensor LogitsForGradient(Tensor inputs) { Record(); return inner.LogitsForGradient(inputs); }

        public Maskbench.Attacks.IAttackTarget Select(Tensor indices) => new ModeRecordingTarget(inner.Select(indices), _counts);

        void Record()
        {
            _counts[0]++;
            if (System.Runtime.GCSettings.LatencyMode != System.Runtime.GCLatencyMode.NoGCRegion) _counts[1]++;
        }
    }

    [SkippableFact]
    public void Safe_points_keep_a_zone_alive_through_more_allocation_than_its_budget()
    {
        var keep = new List<byte[]>();
        using (NoCollectionZone.Enter())
        {
            Skip.IfNot(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion,
                "another test holds the process-wide region");
            int collections = GC.CollectionCount(0);
            // Three budgets' worth in 1 MiB pieces (most of it garbage at once), a safe point after each piece.
            for (long allocated = 0; allocated < 3 * NoCollectionZone.BudgetBytes; allocated += 1 << 20)
            {
                var piece = new byte[1 << 20];
                piece[^1] = 1;
                if (keep.Count < 4) keep.Add(piece);
                NoCollectionZone.SafePoint();
            }
            Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
            Assert.True(GC.CollectionCount(0) > collections, "the collector should have run at the safe points");
        }
        // Without safe points the same allocation ends the region: what the safe points prevent.
        using (NoCollectionZone.Enter())
        {
            Skip.IfNot(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion,
                "another test holds the process-wide region");
            for (long allocated = 0; allocated < 3 * NoCollectionZone.BudgetBytes; allocated += 1 << 20)
            {
                var piece = new byte[1 << 20];
                piece[^1] = 1;
            }
            Assert.NotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
        }
        Assert.Equal(4, keep.Count);
    }
}
