using Maskbench.Masks.Sources;
using Maskbench.Masks;
using Maskbench.Reports;

namespace Maskbench.Experiments;

/// <summary>
/// Turns a plan and its cached cells into results.json: accuracies in percent (two decimals, as printed), the
/// strong suite as the per-example worst case, Table 4 beside the paper's numbers, and the three controls.
/// Cells without a result are listed as missing and their numbers left empty, so a partial grid still reports.
/// </summary>
public static class ResultsBuilder
{
    /// <summary>Bin edges (percent of the image that is foreground) for control (c).</summary>
    public static readonly int[] ForegroundEdges = [0, 10, 20, 30, 50, 100];

    public static double Percent(double fraction) => Math.Round(100 * fraction, 2, MidpointRounding.AwayFromZero);

    /// <summary>The 95% Wilson interval of <paramref name="correct"/> right out of <paramref name="count"/>, in percent as printed.</summary>
    public static Interval? IntervalOf(int correct, int count)
    {
        if (count <= 0) return null;
        var w = Evaluation.WilsonInterval.Of(correct, count);
        return new Interval(Percent(w.Low), Percent(w.High));
    }

    static Interval? IntervalOf(EvaluationRecord? r) => r is null ? null : IntervalOf(r.Correct.Count(c => c == '1'), r.Count);

    /// <summary>A model counts as failed to train when its natural accuracy is below twice chance or below half of the best
    /// natural accuracy among the Table 4 models (adversarial training costs natural accuracy, but not half of it).</summary>
    public const double FailedChanceFactor = 2, FailedPeerFactor = 0.5;

    public static ExperimentResults Build(ExperimentPlan plan, CellStore store)
    {
        var p = plan.Profile;
        string? paperName = plan.Dataset?.PaperName ?? PaperTable4.PaperNameOf(plan.DatasetName);
        var results = new ExperimentResults
        {
            Dataset = plan.Dataset ?? new DatasetSummary { Name = plan.DatasetName, Sha256 = plan.DatasetSha256 },
            Profile = new ProfileSummary
            {
                Name = p.Name, Arch = p.Arch, Width = p.Width, Epochs = p.Epochs, TrainLimit = p.TrainLimit, TestLimit = p.TestLimit,
                PgdSteps = p.PgdSteps, PgdEpsilon255 = 8, PgdStepSize255 = Math.Round(p.StepFor(ExperimentProfile.PaperEpsilon, p.PgdSteps) * 255, 4),
                AdversarialTrainingSteps = p.TrainSteps, SweepEpsilons255 = ExperimentProfile.SweepEpsilons255.ToList(),
                BatchSize = p.BatchSize, LearningRate = p.LearningRate, Schedule = p.Schedule.ToString().ToLowerInvariant(),
                Restarts = p.Restarts, Precision = p.Precision.ToString().ToLowerInvariant(), Seeds = p.Seeds, Seed = p.Seed,
                Settings = p.Describe().Select(d => new ProfileSetting(d.Name, d.Value)).ToList(),
            },
            ScaleNote = ScaleNote(p),
            ForegroundBinEdges = ForegroundEdges.ToList(),
        };
        results.Dataset.PaperName = paperName;
        results.Dataset.TotalPerSplit = results.Dataset.CountsPerSplit.ToDictionary(kv => kv.Key, kv => kv.Value.Sum());

        var trained = new Dictionary<string, CellResult>();
        var evaluations = new Dictionary<string, CellResult>();
        foreach (var cell in plan.Cells)
        {
            CellResult? found = cell.Kind == CellSpec.Train ? TryTraining(plan, store, cell) : TryEvaluation(plan, store, cell);
            if (found is null) { results.MissingCells.Add(cell.Id); results.Cells.Add(new CellSummary(cell.Id, null, 0)); continue; }
            results.Cells.Add(new CellSummary(cell.Id, found.Key, Math.Round(found.Seconds, 1)));
            if (cell.Kind == CellSpec.Train) trained[cell.Model.Id] = found; else evaluations[cell.Id] = found;
        }

        var provenance = trained.Values.Concat(evaluations.Values).Select(c => c.Kernels).OfType<Kernels.KernelProvenance>().ToList();
        if (provenance.Count > 0) results.Kernels = Kernels.KernelProvenance.Merge(provenance);

        foreach (var model in plan.Cells.Where(c => c.Kind == CellSpec.Train).Select(c => c.Model))
            results.Models.Add(ModelOf(plan, model, trained.GetValueOrDefault(model.Id), evaluations));

        var table4Models = results.Models.Where(m => m.Mask != MaskKind.RandomTwin).ToList();
        var failed = FailedToTrain(table4Models, results.Dataset.ClassNames.Count);
        foreach (var (id, reason) in failed)
            results.Warnings.Add($"{id} failed to train ({reason}); its numbers support no conclusion about masks.");
        foreach (var m in table4Models.Where(m => !m.Replica))
        {
            var paper = PaperTable4.Lookup(paperName, m.Training, m.Input);
            var seeds = table4Models.Where(x => x.Training == m.Training && x.Input == m.Input).ToList();
            var row = new Table4Row
            {
                Row = $"{m.Input}-{(m.Training == GridModel.Natural ? "N" : "A")}", Training = m.Training, Input = m.Input,
                Natural = m.Natural, NaturalInterval = m.NaturalInterval, Pgd = m.Pgd, PgdInterval = m.PgdInterval,
                PaperNatural = paper?.Natural, PaperPgd = paper?.Pgd,
                Seeds = seeds.Count(x => x.Natural is not null),
                TrainingFailed = failed.GetValueOrDefault(m.Id),
            };
            (row.NaturalMean, row.NaturalSd) = MeanSd(seeds.Select(x => x.Natural));
            (row.PgdMean, row.PgdSd) = MeanSd(seeds.Select(x => x.Pgd));
            (row.NaturalDifference, row.NaturalNoise, row.NaturalVerdict) =
                Compare(row.NaturalMean ?? m.Natural, m.NaturalInterval, row.NaturalSd, paper?.Natural, row.TrainingFailed);
            (row.PgdDifference, row.PgdNoise, row.PgdVerdict) = Compare(row.PgdMean ?? m.Pgd, m.PgdInterval, row.PgdSd, paper?.Pgd,
                row.TrainingFailed);
            results.Table4.Add(row);
        }
        var primary = results.Models.Where(m => !m.Replica).ToList();
        foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
        {
            ModelResults? Find(MaskKind mask) => primary.FirstOrDefault(m => m.Training == training && m.Mask == mask);
            var random = Find(MaskKind.RandomTwin);
            if (random is null) continue;
            results.RandomMaskControl.Add(new RandomMaskRow
            {
                Training = training, PlainNatural = Find(MaskKind.None)?.Natural, PlainPgd = Find(MaskKind.None)?.Pgd,
                MaskedNatural = Find(MaskKind.GroundTruth)?.Natural, MaskedPgd = Find(MaskKind.GroundTruth)?.Pgd,
                RandomMaskNatural = random.Natural, RandomMaskPgd = random.Pgd,
                PlainNaturalInterval = Find(MaskKind.None)?.NaturalInterval, PlainPgdInterval = Find(MaskKind.None)?.PgdInterval,
                MaskedNaturalInterval = Find(MaskKind.GroundTruth)?.NaturalInterval, MaskedPgdInterval = Find(MaskKind.GroundTruth)?.PgdInterval,
                RandomMaskNaturalInterval = random.NaturalInterval, RandomMaskPgdInterval = random.PgdInterval,
            });
        }
        foreach (var m in primary.Where(m => m.Mask == MaskKind.GroundTruth))
            results.FullImageThreat.Add(new ThreatRow
            {
                Model = m.Id, ForegroundOnly = m.Pgd, FullImage = m.Attacks.TryGetValue("pgd-full-image", out var f) ? f : null,
                ForegroundOnlyInterval = m.PgdInterval, FullImageInterval = m.AttackIntervals.GetValueOrDefault("pgd-full-image"),
            });

        AddForegroundBins(plan, results, evaluations);
        return results;
    }

    static string ScaleNote(ExperimentProfile p) => p with { Seeds = 1, Precision = Attacks.Precision.Fp32 } == ExperimentProfile.Paper
        ? $"Measured with the paper profile: {p.Arch} at full width, {p.Epochs} epochs, all training and test images, PGD with {p.PgdSteps} steps."
        : $"Measured with the '{p.Name}' profile{(p.Name == ExperimentProfile.Paper.Name ? " with overrides" : "")}, NOT the paper's scale: "
          + $"{p.Arch} at width x{p.Width.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {p.Epochs} epochs, "
          + $"{(p.TrainLimit > 0 ? $"at most {p.TrainLimit}" : "all")} training and {(p.TestLimit > 0 ? $"{p.TestLimit}" : "all")} test images, "
          + $"PGD with {p.PgdSteps} steps (the paper: 20), adversarial training with {p.TrainSteps}-step PGD"
          + (p.TrainEpsilonWarmup > 0 ? $", ε ramped up over its first {p.TrainEpsilonWarmup} epochs" : "") + ". "
          + "Compare the pattern across rows with the paper, not the absolute numbers.";

    /// <summary>Mean and sample standard deviation (percent, two decimals) over the seeds with a number; null below two seeds.</summary>
    public static (double? Mean, double? Sd) MeanSd(IEnumerable<double?> values)
    {
        var v = values.OfType<double>().ToList();
        if (v.Count < 2) return (null, null);
        double mean = v.Average();
        double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        return (Math.Round(mean, 2, MidpointRounding.AwayFromZero), Math.Round(sd, 2, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// Ours − paper, the noise it is compared with (the larger of the Wilson interval's half-width and twice the standard
    /// deviation across seeds), and the verdict: "beyond noise" when the difference is larger than the noise.
    /// </summary>
    public static (double? Difference, double? Noise, string? Verdict) Compare(double? ours, Interval? interval, double? seedSd, double? paper,
        string? failed)
    {
        if (ours is not double o || paper is not double q) return (null, null, null);
        double difference = Math.Round(o - q, 2, MidpointRounding.AwayFromZero);
        double noise = Math.Max(interval is null ? 0 : (interval.High - interval.Low) / 2, 2 * (seedSd ?? 0));
        noise = Math.Round(noise, 2, MidpointRounding.AwayFromZero);
        string verdict = failed is not null ? "failed to train" : Math.Abs(difference) > noise ? "beyond noise" : "within noise";
        return (difference, noise, verdict);
    }

    /// <summary>The Table 4 models (every seed) that failed to train, with the reason in words.</summary>
    public static Dictionary<string, string> FailedToTrain(IReadOnlyList<ModelResults> models, int classes)
    {
        var failed = new Dictionary<string, string>();
        var trained = models.Where(m => m.Natural is not null).ToList();
        if (trained.Count == 0) return failed;
        double chance = 100.0 / Math.Max(1, classes);
        double best = trained.Max(m => m.Natural!.Value);
        foreach (var m in trained)
        {
            double n = m.Natural!.Value;
            if (n < FailedChanceFactor * chance)
                failed[m.Id] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"natural accuracy {n:F2}% is below {FailedChanceFactor:0}× chance ({chance:F2}% for {classes} classes)");
            else if (n < FailedPeerFactor * best)
                failed[m.Id] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"natural accuracy {n:F2}% is below half of the best model's {best:F2}%");
        }
        return failed;
    }

    static CellResult? TryTraining(ExperimentPlan plan, CellStore store, CellSpec cell) =>
        store.TryLoad(GridRunner.TrainingKey(cell, plan.DatasetSha256), out var r) ? r : null;

    static CellResult? TryEvaluation(ExperimentPlan plan, CellStore store, CellSpec cell)
    {
        var model = TryTraining(plan, store, plan.TrainingCellOf(cell));
        if (model?.Training is null) return null;
        return store.TryLoad(GridRunner.EvaluationKey(cell, plan.DatasetSha256, model), out var r) ? r : null;
    }

    static ModelResults ModelOf(ExperimentPlan plan, GridModel model, CellResult? trainedCell, Dictionary<string, CellResult> evaluations)
    {
        var cells = plan.Cells.Where(c => c.Kind == CellSpec.Evaluate && c.Model.Id == model.Id && evaluations.ContainsKey(c.Id))
            .Select(c => (Spec: c, Record: evaluations[c.Id].Evaluation!)).ToList();
        EvaluationRecord? Named(string name) => cells.FirstOrDefault(c => c.Spec.Name == name).Record;
        var result = new ModelResults
        {
            Id = model.Id, Training = model.Training, Input = model.Input, Mask = model.Mask.Kind, Seed = model.Seed, Replica = model.IsReplica,
            Natural = Named("natural") is { } n ? Percent(n.Accuracy) : null,
            NaturalInterval = IntervalOf(Named("natural")),
            Pgd = Named("pgd") is { } g ? Percent(g.Accuracy) : null,
            PgdInterval = IntervalOf(Named("pgd")),
            TestCount = Named("natural")?.Count ?? 0,
            TrainingSeconds = Math.Round(trainedCell?.Seconds ?? 0, 1),
            Curve = trainedCell?.Training?.Curve ?? [],
            ExamplesImage = Named("pgd")?.ExamplesImage,
        };
        foreach (var (spec, record) in cells)
        {
            result.Attacks[spec.Name] = Percent(record.Accuracy);
            result.AttackIntervals[spec.Name] = IntervalOf(record)!;
        }
        // An adversarial example inside a smaller ball is inside every larger one, so an example counts as robust at ε
        // only if it survived every budget up to ε: the curve cannot rise through the attack's randomness.
        var sweep = cells.Where(c => c.Spec.Group == "sweep").OrderBy(c => c.Spec.Evaluation!.Epsilon).ToList();
        for (int k = 0; k < sweep.Count; k++)
        {
            var records = sweep.Take(k + 1).Select(c => c.Record).Reverse().ToList();
            result.Sweep.Add(new SweepPoint(Math.Round(sweep[k].Spec.Evaluation!.Epsilon * 255, 4),
                Percent(WorstCase(records)), IntervalOf(RobustCount(records), records[0].Count)));
        }
        var strong = cells.Where(c => c.Spec.Group == "strong").Select(c => c.Record).ToList();
        if (strong.Count > 0 && Named("pgd") is { } pgd)
        {
            result.Strong = Percent(WorstCase([pgd, .. strong]));
            result.StrongInterval = IntervalOf(RobustCount([pgd, .. strong]), pgd.Count);
        }
        return result;
    }

    /// <summary>Fraction of examples that survive every attack (an example counts as robust only if all attacks failed on it).</summary>
    public static double WorstCase(IReadOnlyList<EvaluationRecord> records) =>
        records[0].Count == 0 ? 0 : RobustCount(records) / (double)records[0].Count;

    /// <summary>Examples of the first record that survive every attack.</summary>
    public static int RobustCount(IReadOnlyList<EvaluationRecord> records)
    {
        var first = records[0];
        int robust = 0;
        var byIndex = records.Skip(1).Select(r => r.Indices.Select((idx, k) => (idx, k)).ToDictionary(x => x.idx, x => r.Correct[x.k])).ToList();
        for (int k = 0; k < first.Count; k++)
        {
            if (first.Correct[k] != '1') continue;
            int idx = first.Indices[k];
            if (byIndex.All(d => d.TryGetValue(idx, out char c) && c == '1')) robust++;
        }
        return robust;
    }

    static void AddForegroundBins(ExperimentPlan plan, ExperimentResults results, Dictionary<string, CellResult> evaluations)
    {
        var classNames = results.Dataset.ClassNames;
        foreach (var m in results.Models.Where(m => !m.Replica))
        {
            if (!evaluations.TryGetValue($"{CellSpec.Evaluate}/{m.Id}/natural", out var nat)
                || !evaluations.TryGetValue($"{CellSpec.Evaluate}/{m.Id}/pgd", out var pgd))
                continue;
            var natural = nat.Evaluation!;
            var attacked = pgd.Evaluation!.Indices.Select((idx, k) => (idx, k)).ToDictionary(x => x.idx, x => pgd.Evaluation.Correct[x.k] == '1');
            results.ForegroundBins.Add(new ForegroundBinRow { Model = m.Id, Bins = Bins(natural, attacked, _ => true) });
            foreach (long label in natural.Labels.Distinct().Order())
            {
                string name = label < classNames.Count ? classNames[(int)label] : $"class {label}";
                results.ForegroundBinsPerClass.Add(new ClassForegroundRow
                {
                    Model = m.Id, ClassIndex = (int)label, ClassName = name, Bins = Bins(natural, attacked, k => natural.Labels[k] == label),
                });
            }
        }
    }

    static List<BinAccuracy> Bins(EvaluationRecord natural, Dictionary<int, bool> attacked, Func<int, bool> include)
    {
        var bins = new List<BinAccuracy>();
        for (int b = 0; b + 1 < ForegroundEdges.Length; b++)
        {
            int low = ForegroundEdges[b], high = ForegroundEdges[b + 1];
            int count = 0, right = 0, robust = 0;
            for (int k = 0; k < natural.Count; k++)
            {
                double f = natural.ForegroundFractions[k] * 100;
                bool inside = f >= low && (f < high || (high == 100 && f <= 100));
                if (!inside || !include(k)) continue;
                count++;
                if (natural.Correct[k] == '1') right++;
                if (attacked.TryGetValue(natural.Indices[k], out bool ok) && ok) robust++;
            }
            bins.Add(new BinAccuracy(low, high, count, count == 0 ? null : Percent(right / (double)count),
                count == 0 ? null : Percent(robust / (double)count),
                IntervalOf(right, count), IntervalOf(robust, count)));
        }
        return bins;
    }
}
