"""Words drawn inside the library's images — chart titles, axes, legends, hover text and the
layer graph's title, legend and box text — in English and in Chinese.

The app's own widgets have their words in :mod:`vizcnn.words.app`; these are the words the
render layer puts into Plotly figures and Graphviz DOT, so a figure exported from the app (or
made with ``lang="zh"`` from Python) is in the reader's language. The Chinese follows the seed
notes' vocabulary (参数量, 感受野, 逐点卷积, 深度卷积, 分组卷积, 恒等映射, 通道混洗, ...). "MACs"
and "FLOPs" stay as abbreviations in both languages and are explained where they first appear:
"MACs（乘加次数）", "FLOPs（浮点运算次数）".

One entry per key, both languages side by side; looked up with :func:`vizcnn.words.tr`, like
every other word. Both languages of a key have the same fields (the tests check it). Module
paths, class names and numbers are never translated: they are what the code says.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    # --- quantities (vizcnn.views.breakdown.Metric) ---------------------------------------
    "quantity.macs": {"en": "MACs (multiply-accumulates)", "zh": "MACs（乘加次数）"},
    "quantity.flops": {"en": "FLOPs (2 × MACs + elementwise)",
                     "zh": "FLOPs（浮点运算次数 = 2 × MACs + 逐元素运算）"},
    "quantity.params": {"en": "parameters", "zh": "参数量"},
    "quantity.activation_bytes": {"en": "activation memory (bytes of layer outputs)",
                                "zh": "激活内存（各层输出的字节数）"},
    # --- op categories of the cost breakdown (vizcnn.views.breakdown.Category) ------------
    "category.dense_conv": {"en": "dense conv", "zh": "普通卷积"},
    "category.grouped_conv": {"en": "grouped conv", "zh": "分组卷积"},
    "category.depthwise_conv": {"en": "depthwise conv", "zh": "深度卷积（逐通道）"},
    "category.pointwise_conv": {"en": "pointwise conv (1×1)", "zh": "逐点卷积（1×1）"},
    "category.transposed_conv": {"en": "transposed conv", "zh": "转置卷积"},
    "category.linear": {"en": "linear / matmul", "zh": "全连接 / 矩阵乘"},
    "category.se": {"en": "SE (squeeze-excitation)", "zh": "SE（通道注意力）"},
    "category.norm": {"en": "norm", "zh": "归一化"},
    "category.activation": {"en": "activation", "zh": "激活"},
    "category.pooling": {"en": "pooling", "zh": "池化"},
    "category.elementwise": {"en": "elementwise (add, mul)", "zh": "逐元素运算（加、乘）"},
    "category.other": {"en": "other (concat, reshape, ...)", "zh": "其他（拼接、变形等）"},
    # --- chart pieces (vizcnn.render.charts) -----------------------------------------------
    "chart.value": {"en": "{name}: {value}", "zh": "{name}：{value}"},
    "chart.share": {"en": "{pct} of the model", "zh": "占模型 {pct}"},
    "chart.share_paren": {"en": " ({pct} of the model)", "zh": "（占模型 {pct}）"},
    "chart.model_root": {"en": "(model)", "zh": "（整个模型）"},
    "chart.own_ops": {"en": "(own ops)", "zh": "（模块自身的运算）"},
    "chart.hierarchy_title": {"en": "{model}: {metric} by module — total {total}",
                              "zh": "{model}：各模块的{metric}，合计 {total}"},
    "chart.output": {"en": "output {shape}", "zh": "输出 {shape}"},
    "chart.layer_order": {"en": "layer (execution order)", "zh": "层（按执行顺序）"},
    "chart.layer": {"en": "layer", "zh": "层"},
    "chart.per_layer_title": {"en": "{model}: {metric} per layer",
                              "zh": "{model}：每层的{metric}"},
    "chart.top_title": {"en": "{model}: the {n} layers with most {metric}",
                        "zh": "{model}：{metric}最多的 {n} 层"},
    "chart.op_category": {"en": "op category", "zh": "操作类别"},
    "chart.no_layers": {"en": "{model}: no counted layers", "zh": "{model}：没有计入开销的层"},
    "chart.cumulative_hover": {"en": "cumulative {name}: {value} ({share})",
                               "zh": "累计{name}：{value}（{share}）"},
    "chart.cumulative_axis": {"en": "cumulative share of the model total (%)",
                              "zh": "累计占模型总量的比例（%）"},
    "chart.cumulative_title": {
        "en": "{model}: MACs (multiply-accumulates) total {macs} and parameters total "
              "{params}, along depth",
        "zh": "{model}：沿深度累计的 MACs（乘加次数，合计 {macs}）与参数量（合计 {params}）"},
    "chart.stage_stem": {"en": "stem", "zh": "起始层"},
    "chart.stage_head": {"en": "head", "zh": "分类头"},
    "chart.features": {"en": "{n}-d", "zh": "{n} 维"},
    "chart.channels": {"en": "{n} ch", "zh": "{n} 通道"},
    "chart.stage_axis": {"en": "stage (output size)", "zh": "阶段（输出尺寸）"},
    "chart.stage_title": {"en": "{model}: {metric} per stage — total {total}",
                          "zh": "{model}：各阶段的{metric}，合计 {total}"},
    "chart.layers_count": {"en": "{n} layers", "zh": "{n} 层"},
    "chart.kind_title": {"en": "{model}: {metric} by op category — total {total}",
                         "zh": "{model}：各操作类别的{metric}，合计 {total}"},
    "chart.rejected": {"en": "rejected —", "zh": "不接受该输入 —"},
    "chart.params_vs_macs": {"en": "parameters vs MACs (multiply-accumulates)",
                             "zh": "参数量与 MACs（乘加次数）"},
    "chart.flops_short": {"en": "FLOPs", "zh": "FLOPs（浮点运算次数）"},
    "chart.peak_activations": {"en": "peak activations", "zh": "激活峰值"},
    "chart.params_log": {"en": "parameters (log scale)", "zh": "参数量（对数坐标）"},
    "chart.macs_log": {"en": "MACs (multiply-accumulates, log scale)",
                       "zh": "MACs（乘加次数，对数坐标）"},
    "chart.compare_title": {"en": "Models compared at input {size}",
                            "zh": "输入 {size} 时的模型对比"},
    "chart.activation_memory": {"en": "activation memory (bytes)", "zh": "激活内存（字节）"},
    "chart.input_side": {"en": "input {side}×{side}", "zh": "输入 {side}×{side}"},
    "chart.peak_live": {"en": "peak live activations (inference)",
                        "zh": "同时存活的激活峰值（推理）"},
    "chart.all_outputs": {"en": "all layer outputs (kept for training)",
                          "zh": "全部层输出（训练时保留）"},
    "chart.rejected_size": {"en": "rejected size", "zh": "不接受的尺寸"},
    "chart.rejected_hover": {"en": "input {side}×{side} rejected:",
                             "zh": "输入 {side}×{side} 不被接受："},
    "chart.bytes": {"en": "bytes", "zh": "字节"},
    "chart.input_side_axis": {"en": "input side (pixels, square input)",
                              "zh": "输入边长（像素，正方形输入）"},
    "chart.sweep_title": {"en": "Cost against input size{shape}",
                          "zh": "计算开销随输入尺寸的变化{shape}"},
    "chart.sweep_shape": {"en": " ({batch}×{channels}×side×side)",
                          "zh": "（{batch}×{channels}×边长×边长）"},
    # --- the layer graph (vizcnn.render.dot) -----------------------------------------------
    "graph.title": {"en": "{model} · {params} params · {macs} MACs (multiply-accumulates)",
                    "zh": "{model} · 参数量 {params} · MACs（乘加次数）{macs}"},
    "graph.cost": {"en": "{params} params · {macs} MACs", "zh": "参数量 {params} · MACs {macs}"},
    "graph.cost_repeat": {"en": "{repeat} × ({params} params · {macs} MACs)",
                          "zh": "{repeat} ×（参数量 {params} · MACs {macs}）"},
    "graph.out": {"en": "out {shapes}", "zh": "输出 {shapes}"},
    "graph.identity": {"en": "identity", "zh": "恒等映射"},
    "graph.tooltip": {
        "en": "{head} ({type})\nin: {ins}\nout: {outs}\n"
              "params: {params}  MACs: {macs}  FLOPs: {flops}",
        "zh": "{head}（{type}）\n输入：{ins}\n输出：{outs}\n"
              "参数量：{params}  MACs（乘加次数）：{macs}  FLOPs（浮点运算次数）：{flops}"},
    "graph.legend": {"en": "legend", "zh": "图例"},
    "graph.residual_shortcut": {"en": "residual shortcut", "zh": "残差捷径（跳跃连接）"},
    "graph.key_block": {"en": "key block (model card)", "zh": "关键模块（模型卡片）"},
    # legend rows: one per colour of vizcnn.render.dot.KIND_COLOURS
    "legend.conv": {"en": "dense conv", "zh": "普通卷积"},
    "legend.pointwise_conv": {"en": "pointwise 1×1 conv", "zh": "逐点 1×1 卷积"},
    "legend.depthwise_conv": {"en": "depthwise conv", "zh": "深度（逐通道）卷积"},
    "legend.grouped_conv": {"en": "grouped conv", "zh": "分组卷积"},
    "legend.norm": {"en": "normalisation", "zh": "归一化"},
    "legend.activation": {"en": "activation", "zh": "激活函数"},
    "legend.pool": {"en": "pooling", "zh": "池化"},
    "legend.linear": {"en": "linear / matmul", "zh": "全连接 / 矩阵乘"},
    "legend.add": {"en": "add / mul / concat / split", "zh": "相加 / 相乘 / 拼接 / 拆分"},
    "legend.reshape": {"en": "reshape / channel shuffle", "zh": "变形 / 通道混洗"},
    "legend.io": {"en": "input / output", "zh": "输入 / 输出"},
    "legend.dropout": {"en": "dropout / other", "zh": "dropout / 其他"},
    "legend.block": {"en": "collapsed block", "zh": "折叠的模块"},
    # op summaries written in the boxes ("conv 3×3 s2", "linear 2048 to 1000")
    "op.conv": {"en": "conv", "zh": "卷积"},
    "op.depthwise_conv": {"en": "dw conv", "zh": "深度卷积"},
    "op.grouped_conv": {"en": "group conv", "zh": "分组卷积"},
    "op.conv_transpose": {"en": "deconv", "zh": "转置卷积"},
    "op.stride": {"en": " s{stride}", "zh": " 步长{stride}"},
    "op.dilation": {"en": " d{dilation}", "zh": " 膨胀率{dilation}"},
    "op.groups": {"en": " g{groups}", "zh": " {groups}组"},
    "op.linear": {"en": "linear {inputs} to {outputs}", "zh": "全连接 {inputs}→{outputs}"},
    "op.max_pool": {"en": "max pool", "zh": "最大池化"},
    "op.avg_pool": {"en": "avg pool", "zh": "平均池化"},
    "op.adaptive": {"en": "adaptive {pool} to {size}", "zh": "自适应{pool}→{size}"},
    "op.channel_shuffle": {"en": "channel shuffle", "zh": "通道混洗"},
    "op.batch_norm": {"en": "batch norm", "zh": "批归一化"},
    "op.layer_norm": {"en": "layer norm", "zh": "层归一化"},
    "op.group_norm": {"en": "group norm", "zh": "组归一化"},
    # the model cards' key-block ideas (the ★ line of an outlined block)
    "idea.aux_classifier": {"en": "aux classifier", "zh": "辅助分类器"},
    "idea.bottleneck": {"en": "bottleneck", "zh": "瓶颈结构"},
    "idea.channel_shuffle": {"en": "channel shuffle", "zh": "通道混洗"},
    "idea.depthwise": {"en": "depthwise", "zh": "深度可分离卷积"},
    "idea.ghost": {"en": "ghost", "zh": "Ghost 模块"},
    "idea.grouped_conv": {"en": "grouped conv", "zh": "分组卷积"},
    "idea.inception": {"en": "inception", "zh": "Inception 模块"},
    "idea.inverted_residual": {"en": "inverted residual", "zh": "倒残差"},
    "idea.large_kernels": {"en": "large kernels", "zh": "大卷积核"},
    "idea.residual": {"en": "residual", "zh": "残差"},
    "idea.se": {"en": "se", "zh": "SE 通道注意力"},
    "idea.stacked_3x3": {"en": "stacked 3x3", "zh": "堆叠 3×3 卷积"},
    # --- the charts beyond MACs (vizcnn.render.cost_charts) ----------------------------
    "conv.title": {"en": "{model}: what each counter reports, from vizcnn's MACs reason by "
                         "reason (MACs = multiply-accumulates; FLOPs tools = 2 per MAC)",
                   "zh": "{model}：各计数工具的结果，从 vizcnn 的 MACs 出发逐项解释差异"
                         "（MACs = 乘加次数；报告 FLOPs 的工具按每次乘加 2 次计）"},
    "conv.base": {"en": "vizcnn MACs (conv + linear + matmul)",
                  "zh": "vizcnn MACs（卷积 + 全连接 + 矩阵乘）"},
    "conv.axis": {"en": "count as the tool reports it", "zh": "工具报告的数值"},
    "reason.bias": {"en": "bias", "zh": "偏置"},
    "reason.norm": {"en": "BatchNorm / norms", "zh": "BN / 归一化"},
    "reason.activation": {"en": "activations", "zh": "激活函数"},
    "reason.pooling": {"en": "pooling", "zh": "池化"},
    "reason.other_elementwise": {"en": "softmax / upsample", "zh": "softmax / 上采样"},
    "reason.functional_missed": {"en": "functional op missed", "zh": "漏计的函数式算子"},
    "reason.linear_nd": {"en": "Linear on N-D input", "zh": "多维输入的全连接"},
    "reason.double_count": {"en": "counted twice", "zh": "重复计数"},
    "reason.subclass_missed": {"en": "subclass missed", "zh": "漏计的子类"},
    "reason.two_per_mac": {"en": "2 FLOPs per MAC", "zh": "每次乘加计 2 FLOPs"},
    "reason.per_sample": {"en": "divided by batch", "zh": "按批大小平均"},
    "reason.formula": {"en": "another formula", "zh": "不同的计算公式"},
    "roof.title": {"en": "{model} on the {device} roofline: FLOPs per byte moved (unfused "
                         "kernels, {dtype})<br>below the ridge at {ridge:.3g} FLOP/B a layer is "
                         "memory-bound (open markers); {zero} layers with 0 FLOPs move {zero_mb:.3g} "
                         "MB (not drawn)",
                   "zh": "{model} 在 {device} 的屋顶线模型上：每字节访存的浮点运算数（未融合算子，"
                         "{dtype}）<br>低于拐点 {ridge:.3g} FLOP/B 的层受内存带宽限制（空心标记）；"
                         "{zero} 个 0 FLOPs 的层搬运 {zero_mb:.3g} MB（未画出）"},
    "roof.x": {"en": "arithmetic intensity (FLOPs per byte read + written)",
               "zh": "算术强度（每读写 1 字节的 FLOPs）"},
    "roof.y": {"en": "attainable FLOP/s (min(peak, intensity × bandwidth))",
               "zh": "可达 FLOP/s（min(峰值, 强度 × 带宽)）"},
    "roof.roof": {"en": "roofline", "zh": "屋顶线"},
    "roof.memory": {"en": "memory-bound", "zh": "受内存限制"},
    "roof.compute": {"en": "compute-bound", "zh": "受计算限制"},
    "train.title": {"en": "{model}: memory of one training step, batch {batch}, {precision}, "
                          "{optimizer} — {total:.3g} GiB<br>saved activations measured on meta "
                          "with saved-tensor hooks (MiB)",
                    "zh": "{model}：一次训练迭代的内存，批大小 {batch}，{precision}，{optimizer} — "
                          "{total:.3g} GiB<br>反向传播保存的激活在 meta 设备上用 saved-tensor "
                          "钩子实测（MiB）"},
    "train.parts": {"en": "parts", "zh": "组成"},
    "train.layers": {"en": "saved activations, largest layers", "zh": "保存的激活（最大的层）"},
    "part.parameters": {"en": "parameters", "zh": "参数"},
    "part.buffers": {"en": "buffers", "zh": "缓冲区"},
    "part.gradients": {"en": "gradients", "zh": "梯度"},
    "part.optimizer state": {"en": "optimizer state", "zh": "优化器状态"},
    "part.half weight copies": {"en": "half weight copies", "zh": "半精度权重副本"},
    "part.saved activations": {"en": "saved activations", "zh": "保存的激活"},
    "lat.title": {"en": "{model}: measured CPU time per layer against its MACs (median of {runs} "
                        "run(s), {threads} threads, random weights)<br>total {total:.4g} ms; "
                        "far from the diagonal = time not explained by MACs",
                  "zh": "{model}：每层实测 CPU 时间与 MACs（{runs} 次运行的中位数，{threads} 个线程，"
                        "随机权重）<br>总计 {total:.4g} ms；偏离对角线 = 不能由 MACs 解释的时间"},
    "lat.x": {"en": "MACs (multiply-accumulates)", "zh": "MACs（乘加次数）"},
    "lat.y": {"en": "measured time (ms, median)", "zh": "实测时间（毫秒，中位数）"},
    "zoo.title": {"en": "MACs are not speed: MACs against measured CPU latency at {shape} "
                        "(threads: {threads}, median)",
                  "zh": "MACs 不等于速度：各模型的 MACs 与实测 CPU 延迟（{shape}，{threads} 个线程，"
                        "中位数）"},
    "zoo.y": {"en": "measured latency (ms)", "zh": "实测延迟（毫秒）"},
    # --- the interactive graph viewer (vizcnn.render.interactive) -------------------------
    "viewer.zoom_in": {"en": "Zoom in", "zh": "放大"},
    "viewer.zoom_out": {"en": "Zoom out", "zh": "缩小"},
    "viewer.fit_width": {"en": "Fit width", "zh": "适应宽度"},
    "viewer.fit_height": {"en": "Fit height", "zh": "适应高度"},
    "viewer.fit_all": {"en": "Whole graph", "zh": "整张图"},
    "viewer.open_all": {"en": "Open all", "zh": "全部展开"},
    "viewer.close_all": {"en": "Close all", "zh": "全部折叠"},
    "viewer.reset": {"en": "Reset", "zh": "复原"},
    "viewer.fold": {"en": "Fold repeats", "zh": "折叠重复块"},
    "viewer.search": {"en": "Search path, class or op…", "zh": "搜索路径、类名或算子…"},
    "viewer.highlight": {"en": "Highlight…", "zh": "高亮…"},
    "viewer.branch": {"en": "{block} · branch {n}", "zh": "{block} · 分支 {n}"},
    "viewer.shortcut": {"en": "{block} · shortcut ({kind})", "zh": "{block} · 捷径（{kind}）"},
    "viewer.hint": {
        "en": "Click a block to open it one level, click an open block's frame to close it, "
              "click a layer for its details; drag to pan, wheel to zoom.",
        "zh": "单击模块展开一层，单击已展开模块的边框将其折叠，单击层查看详情；拖动平移，滚轮缩放。"},
    "viewer.found": {"en": "{n} matches", "zh": "{n} 处匹配"},
    "viewer.not_found": {"en": "nothing matches {query}", "zh": "没有与 {query} 匹配的内容"},
    "viewer.loading": {"en": "Laying out the graph…", "zh": "正在排布图…"},
    "viewer.close": {"en": "Close", "zh": "关闭"},
    "viewer.path": {"en": "Path", "zh": "路径"},
    "viewer.class": {"en": "Class / op", "zh": "类 / 算子"},
    "viewer.input": {"en": "Input", "zh": "输入"},
    "viewer.output": {"en": "Output", "zh": "输出"},
    "viewer.kernel": {"en": "Kernel", "zh": "卷积核"},
    "viewer.stride": {"en": "Stride", "zh": "步长"},
    "viewer.padding": {"en": "Padding", "zh": "填充"},
    "viewer.dilation": {"en": "Dilation", "zh": "膨胀"},
    "viewer.groups": {"en": "Groups", "zh": "分组数"},
    "viewer.receptive_field": {"en": "Receptive field", "zh": "感受野"},
    "viewer.formula": {"en": "Worked formula", "zh": "公式演算"},
    "viewer.summary": {"en": "{head} · {type} · {ins} → {outs} · {params} params · {macs} MACs",
                       "zh": "{head} · {type} · {ins} → {outs} · 参数量 {params} · MACs {macs}"},
    "viewer.no_script": {
        "en": "Scripts are off here, so this is the static graph; the interactive viewer runs "
              "where JavaScript does (trust the notebook, or open the HTML export).",
        "zh": "此处禁用了脚本，所以显示静态图；交互式查看器需要 JavaScript（信任该笔记本，或打开导出的 HTML）。"},
}


EN: dict[str, str] = {key: entry["en"] for key, entry in LABELS.items()}
ZH: dict[str, str] = {key: entry["zh"] for key, entry in LABELS.items()}
