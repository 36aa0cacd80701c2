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
    /// When set, each member attacks the rows still open, gathered from the whole input, in batches of this many
    /// (attack by attack, as torchattacks' <c>MultiAttack</c> does), instead of all the given rows at once with the
    /// decided ones excluded. Early stop thins a batch as its rows are fooled; gathering the open rows keeps the later
    /// members' batches full, so a large input can be given whole. Rows get other random draws than in one batch, so
    /// results are as valid but not the same bytes as without it.
    /// </summary>
    public int? MemberBatch { get; init; }

    public AttackResult Run(IAttackTarget target, Tensor x, Tensor y, ThreatModel threat, Tensor? exclude = null, Tensor? cleanLogits = null)
    {
        using var zone = Runtime.NoCollectionZone.Enter();   // see Attack.Run; members' zones nest in it
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        long n = x.shape[0];
        var best = x.to_type(ScalarType.Float32).clone();
        var decided = exclude is null ? zeros(new[] { n }, ScalarType.Bool) : exclude.to_type(ScalarType.Bool).cpu().clone();
        var records = new ExampleRecord?[n];
        long gradients = 0, forwards = 0;
        // One clean pass for all members (each would otherwise make its own).
        if (cleanLogits is null)
        {
            using (target.Prepare(Precision.Fp32))
            using (no_grad())
                cleanLogits = target.Logits(x.to_type(ScalarType.Float32));
            forwards += n;
        }
        foreach (var member in Members)
        {
            if (decided.all().item<bool>()) break;
            var open = decided.logical_not().data<bool>().ToArray();
            if (MemberBatch is not { } size)
            {
                using var result = member.Run(target, x, y, threat, decided.to(x.device), cleanLogits);
                gradients += result.GradientEvaluations;
                forwards += result.ForwardEvaluations;
                for (int i = 0; i < n; i++)
                    if (open[i]) Keep(i, result.Examples[i], result.Adversarial[i]);
                continue;
            }
            var rows = Enumerable.Range(0, (int)n).Where(i => open[i]).ToArray();
            foreach (var chunk in rows.Chunk(Math.Max(1, size)))
            {
                using var chunkScope = NewDisposeScope();
                var index = tensor(chunk.Select(i => (long)i).ToArray(), ScalarType.Int64).to(x.device);
                using var result = member.Run(target.Select(index), x.index_select(0, index), y.index_select(0, index), threat.Select(index),
                    null, cleanLogits.index_select(0, index.to(cleanLogits.device)));
                gradients += result.GradientEvaluations;
                forwards += result.ForwardEvaluations;
                for (int k = 0; k < chunk.Length; k++) Keep(chunk[k], result.Examples[k], result.Adversarial[k]);
            }
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
        using (target.Prepare(Precision.Fp32))
        {
            var problems = threat.Check(x.to_type(ScalarType.Float32), best);
            if (problems.Count > 0) throw new InvalidOperationException(
                $"{Name}: a member produced inputs outside the threat model: {string.Join("; ", problems)}");
            Tensor logits;
            using (no_grad()) logits = target.Logits(best);
            forwards += n;
            var labels = y.to_type(ScalarType.Int64);
            var fooled = AttackObjectives.Misclassified(logits, labels).cpu().data<bool>().ToArray();
            var margin = AttackObjectives.Margin(logits, labels).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            var loss = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None).to_type(ScalarType.Float64).cpu().data<double>()
                .ToArray();
            var final = new ExampleRecord[n];
            for (int i = 0; i < n; i++)
            {
                var member = records[i];
                bool memberFooled = member is { Fooled: true };
                final[i] = new ExampleRecord(fooled[i], fooled[i] && memberFooled ? member!.Step : fooled[i] ? 0 : -1, loss[i], margin[i],
                    fooled[i] ? member?.FooledBy ?? "clean" : null);
            }
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
}
