using System.Runtime;

namespace Maskbench.Runtime;

/// <summary>
/// A stretch of tensor work during which the .NET garbage collector does not run, so no finalizer can free a
/// TorchSharp object that a native call is still reading.
/// <para>
/// Why: TorchSharp 0.107 turns every .NET number passed to an operation (<c>t.add_(1)</c>, <c>alpha: -lr</c>, the
/// default <c>alpha</c> of every <c>+</c>) into a finalizable <c>Scalar</c> and passes only its native pointer to
/// libtorch, without <c>GC.KeepAlive</c>. Once the pointer is read the wrapper is garbage; if another thread (the
/// progress renderer, the JIT, the thread pool) triggers a collection during the native call, the finalizer thread can
/// free the <c>c10::Scalar</c> before libtorch reads it. glibc's free overwrites the scalar's type tag, and
/// batch norm's <c>num_batches_tracked.add_(1)</c> on an int64 tensor then fails with "For integral input tensors,
/// argument alpha must not be a floating point number" (reproduced by <c>NoCollectionZoneTests</c>: a few failures per
/// 100,000 such adds with a thread allocating beside them, none inside a zone). The general pattern is the one fixed
/// in TensorFlowSharp PR 335; TorchSharp PRs 1434/1496 (disposing implicit scalars) were open, not released.
/// </para>
/// <para>
/// How: <see cref="GC.TryStartNoGCRegion(long)"/> for the zone's duration (one training or evaluation batch), so
/// collections, and hence finalizers of objects that died during the batch, happen only between batches, when no
/// native call is in flight. The region is process-wide: a nested zone, or one opened while another thread holds the
/// region, simply runs inside it. If the batch allocates more than <see cref="BudgetBytes"/> of managed memory the
/// runtime collects anyway and ends the region (counted in <see cref="Overflows"/>); the zone then protects nothing
/// for the rest of that batch, which is no worse than without it. Long searches (thousands of Square queries in one
/// batch) allocate more than that, so attacks call <see cref="SafePoint"/> between steps: there, with no native call
/// of theirs in flight, the region is renewed once half its budget is used (or after a collection ended it), letting
/// the collector run at that moment instead of in the middle of a native call.
/// </para>
/// </summary>
public sealed class NoCollectionZone : IDisposable
{
    /// <summary>Managed bytes a zone may allocate (on each of the small- and large-object heaps) before the runtime collects.</summary>
    public const long BudgetBytes = 64L * 1024 * 1024;

    static readonly object Gate = new();
    static int _overflows;
    static NoCollectionZone? _current;
    static long _allocatedAtStart;
    readonly bool _owner;

    /// <summary>Zones whose batch allocated more than the budget, so that a collection ended them early.</summary>
    public static int Overflows => Volatile.Read(ref _overflows);

    /// <summary>On unless the environment sets MASKBENCH_NO_COLLECTION_ZONE=0 (for timing its cost; tests may switch it too).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("MASKBENCH_NO_COLLECTION_ZONE") != "0";

    NoCollectionZone(bool owner) => _owner = owner;

    /// <summary>Opens a zone for <see cref="BudgetBytes"/> plus <paramref name="extraBytes"/> (e.g. the batch's own managed arrays).</summary>
    public static NoCollectionZone Enter(long extraBytes = 0)
    {
        if (!Enabled) return new NoCollectionZone(false);
        lock (Gate)
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return new NoCollectionZone(false);
            try
            {
                var zone = new NoCollectionZone(GC.TryStartNoGCRegion(BudgetBytes + Math.Max(0, extraBytes)));
                if (zone._owner)
                {
                    _current = zone;
                    _allocatedAtStart = GC.GetTotalAllocatedBytes(false);
                }
                return zone;
            }
            catch (InvalidOperationException)
            {
                // Another thread started a region between the check and the call: run inside it.
                return new NoCollectionZone(false);
            }
            catch (ArgumentOutOfRangeException)
            {
                // More than the runtime can set aside (larger than its ephemeral space): run unprotected.
                Interlocked.Increment(ref _overflows);
                return new NoCollectionZone(false);
            }
        }
    }

    /// <summary>
    /// Called between steps of a long search, where no native call of the caller is in flight: when a zone is open and
    /// has used half its budget, or a collection has already ended it, the region ends here (the collector may run now)
    /// and a new one starts. Outside a zone, or with zones disabled, nothing happens.
    /// </summary>
    public static void SafePoint()
    {
        if (!Enabled || Volatile.Read(ref _current) is null) return;
        lock (Gate)
        {
            if (_current is null) return;
            bool active = GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
            if (active && GC.GetTotalAllocatedBytes(false) - _allocatedAtStart < BudgetBytes / 2) return;
            if (active)
            {
                try { GC.EndNoGCRegion(); }
                catch (InvalidOperationException) { }
            }
            else Interlocked.Increment(ref _overflows);
            try
            {
                if (!GC.TryStartNoGCRegion(BudgetBytes)) _current = null;
            }
            catch (InvalidOperationException)
            {
                _current = null;
            }
            _allocatedAtStart = GC.GetTotalAllocatedBytes(false);
        }
    }

    public void Dispose()
    {
        if (!_owner) return;
        lock (Gate)
        {
            if (ReferenceEquals(_current, this)) _current = null;
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                try { GC.EndNoGCRegion(); }
                catch (InvalidOperationException) { Interlocked.Increment(ref _overflows); }
            }
            else Interlocked.Increment(ref _overflows);
        }
    }
}
