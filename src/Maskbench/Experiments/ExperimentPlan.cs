using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maskbench.Experiments;

/// <summary>
/// The grid for one dataset: the four models of the paper's Table 4 ({natural, adversarial} × {plain, masked}),
/// the random-mask control models, and their evaluations: natural accuracy, the paper's PGD, the strong suite
/// (PGD with restarts, APGD-CE, APGD-DLR, Square; combined per example as the worst case by the report), the ε
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

    public static ExperimentPlan Create(ExperimentProfile profile, string datasetPath, string datasetName, string datasetSha256,
        string? arch = null, Reports.DatasetSummary? dataset = null)
    {
        var p = (arch is null ? profile : profile with { Arch = arch }).Validated();
        var models = new List<GridModel>();
        foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
            foreach (string input in new[] { GridModel.Plain, GridModel.Masked })
                models.Add(Model(p, training, input, 0));
        if (p.RandomMaskControl)
            foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
                models.Add(Model(p, training, GridModel.RandomMask, 0));
        // Further seeds of the four Table 4 models (--seeds K): trained and evaluated (natural, PGD) for mean ± sd.
        var replicas = new List<GridModel>();
        for (int s = 1; s < p.Seeds; s++)
            foreach (string training in new[] { GridModel.Natural, GridModel.Adversarial })
                foreach (string input in new[] { GridModel.Plain, GridModel.Masked })
                    replicas.Add(Model(p, training, input, s));

        var cells = models.Concat(replicas).Select(CellSpec.ForTraining).ToList();
        foreach (var model in models.Concat(replicas))
        {
            // Plain models have no mask, so their adversary always has the full image.
            string threat = model.UsesMask ? GridAttack.Foreground : GridAttack.FullImage;
            var pgd = new GridAttack(GridAttack.Pgd, ExperimentProfile.PaperEpsilon, p.StepFor(ExperimentProfile.PaperEpsilon, p.PgdSteps),
                p.PgdSteps, 1, threat, p.TestLimit, p.Seed, p.Precision);
            cells.Add(CellSpec.ForEvaluation(model, "natural", pgd with { Attack = GridAttack.None, Epsilon = 0, StepSize = 0, Steps = 0, Restarts = 0, Precision = Attacks.Precision.Fp32 }, "natural"));
            cells.Add(CellSpec.ForEvaluation(model, "pgd", pgd, "pgd"));
            if (model.Input == GridModel.RandomMask || model.IsReplica) continue;   // the control and the seed replicas need only natural and PGD
            if (model.Input == GridModel.Masked)
                cells.Add(CellSpec.ForEvaluation(model, "pgd-full-image", pgd with { Threat = GridAttack.FullImage }, "full-image"));
            if (p.StrongSuite)
            {
                cells.Add(CellSpec.ForEvaluation(model, "pgd-restarts", pgd with { Restarts = p.Restarts, Seed = p.Seed + 1 }, "strong"));
                cells.Add(CellSpec.ForEvaluation(model, "apgd-ce", pgd with { Attack = GridAttack.ApgdCe, StepSize = 0, Steps = p.ApgdSteps }, "strong"));
                cells.Add(CellSpec.ForEvaluation(model, "apgd-dlr", pgd with { Attack = GridAttack.ApgdDlr, StepSize = 0, Steps = p.ApgdSteps }, "strong"));
                cells.Add(CellSpec.ForEvaluation(model, "square", pgd with { Attack = GridAttack.Square, StepSize = 0, Steps = p.SquareQueries }, "strong"));
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
        return new ExperimentPlan { Profile = p, DatasetPath = datasetPath, DatasetName = datasetName, DatasetSha256 = datasetSha256, Cells = cells, Dataset = dataset };
    }

    /// <param name="replica">0 for the model itself; k for its k-th further seed (id suffix "-seed{Seed + k}").</param>
    static GridModel Model(ExperimentProfile p, string training, string input, int replica)
    {
        bool adversarial = training == GridModel.Adversarial;
        double eps = adversarial ? ExperimentProfile.PaperEpsilon : 0;
        int seed = p.Seed + replica;
        string id = replica == 0 ? $"{training}-{input}" : $"{training}-{input}-seed{seed}";
        return new GridModel(id, training, input, p.Arch, p.Width, p.Epochs, p.BatchSize, p.LearningRate,
            p.TrainLimit, eps, adversarial ? p.StepFor(eps, p.TrainSteps) : 0, adversarial ? p.TrainSteps : 0, seed,
            adversarial ? p.TrainEpsilonWarmup : 0, p.Schedule, p.Precision);
    }

    public CellSpec TrainingCellOf(CellSpec evaluation) =>
        Cells.First(c => c.Kind == CellSpec.Train && c.Model.Id == evaluation.Model.Id);

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

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
