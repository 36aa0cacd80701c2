using Maskbench.Experiments;

namespace Maskbench.Tests.Experiments;

public class CellSelectionTests
{
    [Fact]
    public void IndicesRangesAndGlobs()
    {
        var cells = FakeBackend.Plan().Cells;
        Assert.Equal([0, 2, 3, 4], CellSelection.Parse("0,2-4").Apply(cells).Select(x => x.Index));
        var trains = CellSelection.Parse("train/*").Apply(cells);
        Assert.Equal(6, trains.Count);
        Assert.All(trains, t => Assert.Equal(CellSpec.Train, t.Cell.Kind));
        var maskedPgd = CellSelection.Parse("eval/*-masked/pgd").Apply(cells).Select(x => x.Cell.Id).ToList();
        Assert.Equal(["eval/natural-masked/pgd", "eval/adversarial-masked/pgd"], maskedPgd);
        Assert.Equal(cells.Count, CellSelection.Parse(null).Apply(cells).Count);
    }

    [Fact]
    public void SelectionMatchingNothingIsAnError()
    {
        var cells = FakeBackend.Plan().Cells;
        Assert.Throws<MaskbenchException>(() => CellSelection.Parse("9999").Apply(cells));
        Assert.Throws<MaskbenchException>(() => CellSelection.Parse("5-2"));
    }
}
