using System.Diagnostics;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// The AutoAttack protocol (Croce and Hein 2020): members run in turn, each on the examples no earlier member has
/// fooled, and each example keeps its worst case — the first fooling input, or else the input of smallest margin.
/// The ensemble sees members only through <see cref="IAttack"/>. Since a member's search of a row does not depend on
/// which other rows it is given (see <see cref="Attack.Run"/>), the ensemble fools every example any member alone fools.
/// </summary>
public sealed class AttackEnsemble(string name, IReadOnlyList<IAttack> members) : IAttack
{
    public string Name { get; } = name;
    public IReadOnlyList<IAttack> Members { get; } = members;

    /// <summary>
    /// When set, each member sees at most this many rows at a time (its <c>window</c>, <see cref="Attack.Run"/>): it is
    /// given every row still open and works through them, a member that refills (PGD) admitting waiting rows into its
    /// running batch as others are fooled or finish, any other in chunks of this many open rows. Early stop otherwise
    /// thins a batch as its rows are fooled; this keeps the model's batches full, so a large input can be given whole.
    /// A row's random start depends on its row number only, so results are the same as without a window up to the
    /// float rounding of other batch sizes.
    /// </summary>
    public int? MemberBatch { get; init; }

    public AttackResult Run(IAttackTarget target, Tensor x, Tensor y, ThreatModel threat, Tensor? exclude = null, Tensor? cleanLogits = null,
        int? window = null)
    {
        using var zone = Runtime.NoCollectionZone.Enter();   // see Attack.Run; members' zones nest in it
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        long n = x.shape[0];
        var memberWindow = window ?? MemberBatch;
        var best = x.to_type(ScalarType.Float32).clone();
        var decided = exclude is null ? zeros(new[] { n }, ScalarType.Bool) : exclude.to_type(ScalarType.Bool).cpu().clone();
        var records = new ExampleRecord?[n];
        long gradients = 0, forwards = 0;
        // One clean pass for all members (each would otherwise make its own).
        if (cleanLogits is null)
        {
            using (target.Prepare(Precision.Fp32))
            using (no_grad())
                cleanLogits = Attack.InBatches(target, x.to_type(ScalarType.Float32), memberWindow);
            forwards += n;
        }
        foreach (var member in Members)
        {
            if (decided.all().item<bool>()) break;
            var open = decided.logical_not().data<bool>().ToArray();
            using var result = member.Run(target, x, y, threat, decided.to(x.device), cleanLogits, memberWindow);
            gradients += result.GradientEvaluations;
            forwards += result.ForwardEvaluations;
            for (int i = 0; i < n; i++)
                if (open[i]) Keep(i, result.Examples[i], result.Adversarial[i]);
        }

        void Keep(int i, ExampleRecord record, Tensor adversarial)
        {
            if (record.Fooled || records[i] is null || record.Margin < records[i]!.Margin)
            {
                best[i] = adversarial;
                records[i] = record;
            }
            if (record.Fooled) decided[i] = true;
        }

        var problems = threat.Check(x.to_type(ScalarType.Float32), best);
        if (problems.Count > 0) throw new InvalidOperationException(
            $"{Name}: a member produced inputs outside the threat model: {string.Join("; ", problems)}");
        // A member's record is the float32 model's verdict at the input it returned, which is the input kept here; rows
        // no member attacked (excluded) keep their clean input, judged by the clean logits.
        var labels = y.to_type(ScalarType.Int64).to(cleanLogits.device);
        var clean = Attack.Records(cleanLogits, labels, new long[n], Name);
        var final = new ExampleRecord[n];
        for (int i = 0; i < n; i++) final[i] = records[i] ?? clean[i];
        return new AttackResult
        {
            Attack = Name,
            Adversarial = best.MoveToOuterDisposeScope(),
            Examples = final,
            GradientEvaluations = gradients,
            ForwardEvaluations = forwards,
            Elapsed = clock.Elapsed,
        };
    }
}
