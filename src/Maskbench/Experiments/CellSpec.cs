namespace Maskbench.Experiments;

/// <summary>
/// One unit of work of the grid: training one model, or one evaluation of one model. <see cref="Id"/> is a readable
/// path ("train/natural-plain", "eval/adversarial-masked/pgd") that <c>--cells</c> patterns match; the cache key
/// (<see cref="CellKey"/>) is computed from the parameters and the inputs' hashes when the cell is about to run.
/// </summary>
public sealed record CellSpec(string Id, string Kind, GridModel Model, GridAttack? Evaluation, string? Group)
{
    public const string Train = "train";
    public const string Evaluate = "eval";

    public static CellSpec ForTraining(GridModel model) => new($"{Train}/{model.Id}", Train, model, null, null);

    /// <summary>An evaluation; <paramref name="group"/> ties it to a report section (natural, pgd, strong, sweep, control).</summary>
    public static CellSpec ForEvaluation(GridModel model, string name, GridAttack attack, string group) =>
        new($"{Evaluate}/{model.Id}/{name}", Evaluate, model, attack, group);

    public string Name => Id[(Id.LastIndexOf('/') + 1)..];

    /// <summary>The parameters hashed into the key: the model's, plus the attack's for evaluations.</summary>
    public SortedDictionary<string, string> Parameters()
    {
        var parameters = Model.ToParameters();
        parameters["cell.kind"] = Kind;
        if (Evaluation is not null)
            foreach (var (k, v) in Evaluation.ToParameters()) parameters[k] = v;
        return parameters;
    }
}
