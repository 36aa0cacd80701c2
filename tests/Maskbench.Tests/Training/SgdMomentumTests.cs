using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Training;

public class SgdMomentumTests
{
    [Fact]
    public void Matches_torch_optim_SGD_step_for_step()
    {
        manual_seed(5);
        using var ours = nn.Linear(4, 3);
        using var theirs = nn.Linear(4, 3);
        theirs.load_state_dict(ours.state_dict());
        using var sgd = new SgdMomentum(ours.named_parameters(), 0.9, 5e-4);
        var reference = optim.SGD(theirs.parameters(), 0.1, momentum: 0.9, weight_decay: 5e-4);
        double[] rates = [0.1, 0.1, 0.05, 0.01];
        foreach (double lr in rates)
        {
            using var x = randn(8, 4);
            sgd.ZeroGrad();
            ours.forward(x).pow(2).sum().backward();
            sgd.Step(lr);
            foreach (var g in reference.ParamGroups) g.LearningRate = lr;
            reference.zero_grad();
            theirs.forward(x).pow(2).sum().backward();
            reference.step();
        }
        foreach (var (name, p) in ours.named_parameters())
            Assert.True(p.allclose(theirs.get_parameter(name)!, rtol: 1e-6, atol: 1e-7), name);
        Assert.Equal(2, sgd.Buffers.Count);
    }
}
