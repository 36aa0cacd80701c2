using Maskbench.Masks.Sources;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maskbench.Attacks;
using Maskbench.Masks;
using Maskbench.Files;

namespace Maskbench.Experiments;

/// <summary>
/// The grid for one dataset: the four models of the paper's Table 4 ({natural, adversarial} × {plain, masked}),
/// the random-mask control models, the predicted-mask models when a masker is given, and their evaluations: natural accuracy, the paper's PGD, the
/// strong suite (PGD with restarts, APGD-CE, APGD-DLR, Square; combined per example as the worst case by the report), the ε
/// sweep, and for masked models the full-image threat. Cells are listed in a fixed order (training first), which
/// <c>--cells i,j-k</c> indexes.
/// </summary>
public sealed class ExperimentPlan
{
    public required ExperimentProfile Profile { get; init; }
    /// <summary>Path of the dataset folder (as given; the hash below is what identifies it).</summary>
    public required string DatasetPath { get; init; }
    /// <summary>The dataset's name from its manifest ("gtsrb-ic", "coco-ic", ...).</summary>
    public required string DatasetName { get; init; }
    /// <summary>SHA-256 of the dataset's manifest (dataset.json), which holds the SHA-256 of every array.</summary>
    public required string DatasetSha256 { get; init; }
    public required IReadOnlyList<CellSpec> Cells { get; init; }
    /// <summary>Class names and Table 1 counts from the manifest, so that results can be built without the dataset.</summary>
    public Reports.DatasetSummary? Dataset { get; init; }

    /// <param name="masker">
    /// A trained masker folder (`maskbench train-masker`): adds the predicted-mask models, trained naturally and
    /// adversarially on its predictions and evaluated as the deployed pipeline (natural accuracy and the non-adaptive PGD).
    /// </param>
    public static ExperimentPlan Create(ExperimentProfile profile, string datasetPath, string datasetName, string datasetSha256,
        string? arch = null, Reports.DatasetSummary? dataset = null, string? masker = null)
    {
        var p = (arch is null ? profile : profile with { Arch = arch }).Validated();
        var models = new List<GridModel>();
        foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
            foreach (var mask in Table4Masks)
                models.Add(Model(p, training, mask, 0));
        if (p.RandomMaskControl)
            foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
                models.Add(Model(p, training, new MaskSource.RandomTwin(p.Seed), 0));
        if (masker is not null)
            foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
                models.Add(Model(p, training, new MaskSource.Predicted(masker), 0));
        // Further seeds of the four Table 4 models (--seeds K): trained and evaluated (natural, PGD) for mean ± sd.
        var replicas = new List<GridModel>();
        for (int s = 1; s < p.Seeds; s++)
            foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
                foreach (var mask in Table4Masks)
                    replicas.Add(Model(p, training, mask, s));

        var cells = models.Concat(replicas).Select(CellSpec.ForTraining).ToList();
        foreach (var model in models.Concat(replicas))
        {
            // The foreground threat region is the model's own mask; a model without one is attacked on the full image.
            var threat = model.Mask.MasksInput ? ThreatRegion.Foreground : ThreatRegion.Full;
            var pgd = new GridAttack(AttackRegistry.Pgd, ExperimentProfile.PaperEpsilon, p.StepFor(ExperimentProfile.PaperEpsilon, p.PgdSteps),
                p.PgdSteps, 1, threat, p.TestLimit, p.Seed, p.Precision);
            cells.Add(CellSpec.ForEvaluation(model, "natural", pgd with { Attack = GridAttack.None, Epsilon = 0, StepSize = 0, Steps = 0,
                Restarts = 0, Precision = Attacks.Precision.Fp32 }, "natural"));
            // The predicted-mask pipeline runs in float32 only (PredictedMaskTarget).
            cells.Add(CellSpec.ForEvaluation(model, "pgd", model.Mask is MaskSource.Predicted ? pgd with { Precision = Attacks.Precision.Fp32 }
                : pgd, "pgd"));
            // The controls, the predicted-mask models and the seed replicas need only natural and PGD.
            if (model.Mask is MaskSource.RandomTwin or MaskSource.Predicted || model.IsReplica) continue;
            if (model.Mask is MaskSource.GroundTruth)
                cells.Add(CellSpec.ForEvaluation(model, "pgd-full-image", pgd with { Threat = ThreatRegion.Full }, "full-image"));
            if (p.StrongSuite)
            {
                cells.Add(CellSpec.ForEvaluation(model, "pgd-restarts", pgd with { Restarts = p.Restarts, Seed = p.Seed + 1 }, "strong"));
                foreach (var entry in AttackRegistry.GridSuite)
                    cells.Add(CellSpec.ForEvaluation(model, entry.Name, pgd with { Attack = entry.Name, StepSize = 0, Steps = p.BudgetOf(entry) },
                        "strong"));
            }
            if (p.Sweep)
                foreach (int e in ExperimentProfile.SweepEpsilons255)
                {
                    double eps = e / 255.0;
                    // ε = 8/255 is the paper's PGD cell itself: same parameters, same key, run once.
                    var attack = e == 8 ? pgd : pgd with { Epsilon = eps, StepSize = p.StepFor(eps, p.PgdSteps) };
                    cells.Add(CellSpec.ForEvaluation(model, $"pgd-eps{e}", attack, "sweep"));
                }
        }
        return new ExperimentPlan { Profile = p, DatasetPath = datasetPath, DatasetName = datasetName, DatasetSha256 = datasetSha256, Cells = cells,
            Dataset = dataset };
    }

    /// <summary>The inputs of the paper's Table 4: the plain image and the image masked by the dataset's foreground masks.</summary>
    static readonly MaskSource[] Table4Masks = [new MaskSource.NoMask(), new MaskSource.GroundTruth()];

    /// <param name="replica">0 for the model itself; k for its k-th further seed (id suffix "-seed{Seed + k}").</param>
    static GridModel Model(ExperimentProfile p, string training, MaskSource mask, int replica)
    {
        bool adversarial = training == GridModel.Adversarial;
        double eps = adversarial ? ExperimentProfile.PaperEpsilon : 0;
        int seed = p.Seed + replica;
        string input = GridModel.InputName(mask.Kind);
        string id = replica == 0 ? $"{training}-{input}" : $"{training}-{input}-seed{seed}";
        return new GridModel(id, training, mask, p.Arch, p.Width, p.Epochs, p.BatchSize, p.LearningRate,
            p.TrainLimit, eps, adversarial ? p.StepFor(eps, p.TrainSteps) : 0, adversarial ? p.TrainSteps : 0, seed,
            adversarial ? p.TrainEpsilonWarmup : 0, p.Schedule, p.Precision);
    }

    public CellSpec TrainingCellOf(CellSpec evaluation) =>
        Cells.First(c => c.Kind == CellSpec.Train && c.Model.Id == evaluation.Model.Id);

    static JsonSerializerOptions Json => JsonFormat.Options;

    /// <summary>Writes plan.json (atomically), which <c>merge</c> and <c>report</c> read back.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static ExperimentPlan Load(string path)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: no plan.json (is this a `maskbench reproduce` output folder?)");
        try
        {
            return JsonSerializer.Deserialize<ExperimentPlan>(File.ReadAllText(path), Json)
                ?? throw new DataFormatException(path, "empty plan");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"not a valid plan: {e.Message}", e.LineNumber is long l ? $"line {l + 1}" : null, e);
        }
    }
}
